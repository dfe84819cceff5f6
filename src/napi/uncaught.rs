//! `reportUncaught(error)`: JS hands rsnet an exception that one event's handler, or
//! the tick queue run between two events, threw, and it becomes an uncaught exception
//! at once (process `'uncaughtException'`, domains, or the process exits), as a throw
//! in one of Node's own I/O callbacks does.
//!
//! Why it cannot simply propagate: JS runs a batch's events inside one
//! `napi_make_callback`, and runs the tick queue itself between two of them
//! (`process._tickCallback()`). A tick that throws leaves its async id pushed on
//! Node's async-id stack (Node's tick loop pops it only when the callback returns).
//! Node itself never unwinds past that: the uncaught-exception path clears the stack
//! before the callback scope closes. Unwound through napi instead, the scope would
//! close over the stale id and Node would abort ("async hook stack has become
//! corrupted"). Raised here, inside the scope, Node clears the stack first.

use napi::{sys, Env, JsUnknown, NapiRaw};
use napi_derive::napi;

#[napi]
pub fn report_uncaught(env: Env, error: JsUnknown) {
    // SAFETY: a napi export runs on env's JS thread inside napi's scope for the call,
    // and `error` is a value of that scope. No exception is pending: JS caught it.
    unsafe { sys::napi_fatal_exception(env.raw(), error.raw()) };
}
