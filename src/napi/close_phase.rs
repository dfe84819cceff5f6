//! `'close'` callbacks in libuv's own close phase.
//!
//! Node emits a socket's `'close'` from its handle's close callback: after the loop
//! turn's I/O and `setImmediate` callbacks, newest first when several handles closed in
//! one turn, and before the next turn's timers. rsnet's sockets have no libuv handle of
//! their own, so `scheduleClose(callback)` closes a placeholder (a `uv_check_t` that is
//! never started) and runs `callback` from that handle's close callback: the same
//! moment, by construction. The call goes through `napi_make_callback`, so ticks and
//! microtasks run after it as after any Node callback.

use std::ptr;

use napi::{sys, Env, JsFunction, NapiRaw};
use napi_derive::napi;

use crate::napi::env::{self, Environment};
use crate::sys::napi_raw::{self, check};
use crate::sys::uv::{self, Handle};

/// What a placeholder carries to its close callback.
struct CloseCall {
    env: sys::napi_env,
    callback: sys::napi_ref,
}

/// Runs `callback` in this loop turn's close phase. False if it cannot (this libuv's
/// handles do not fit rsnet's storage); JS then falls back to `setImmediate`.
#[napi(catch_unwind)]
pub fn schedule_close(env: Env, callback: JsFunction) -> napi::Result<bool> {
    let Some(state) = env::current().filter(|_| uv::handles_fit()) else {
        return Ok(false);
    };
    let raw = env.raw();
    let mut uv_loop = ptr::null_mut();
    let mut reference = ptr::null_mut();
    // SAFETY: a napi export, so on env's JS thread inside napi-rs's scope; `callback`
    // is a value of that scope, and the reference (count 1) keeps it past the scope
    // until `on_closed` deletes it. The rest are out-parameters.
    unsafe {
        check(sys::napi_get_uv_event_loop(raw, &mut uv_loop))?;
        context(raw, &state)?;
        check(sys::napi_create_reference(
            raw,
            callback.raw(),
            1,
            &mut reference,
        ))?;
    }
    let pending = Box::into_raw(Box::new(CloseCall {
        env: raw,
        callback: reference,
    }));
    let placeholder = Handle::boxed(pending.cast());
    // SAFETY: on the JS thread, which is the thread of `uv_loop` (libuv handles may be
    // used only there). `placeholder` is a fresh, never-moved box big enough for a
    // `uv_check_t` (`handles_fit` above). A failed init leaves the handle off the loop,
    // so both boxes are still ours to free, and the reference ours to delete. Once
    // init succeeded the handle memory is libuv's until `on_closed` frees it.
    unsafe {
        if uv::uv_check_init(uv_loop.cast(), placeholder) != 0 {
            drop(Box::from_raw(placeholder));
            let pending = Box::from_raw(pending);
            sys::napi_delete_reference(raw, pending.callback);
            return Ok(false);
        }
        uv::uv_close(placeholder, on_closed);
    }
    Ok(true)
}

/// The environment's async context for `'close'` callbacks, made on first use (never
/// released: one per environment, like Node's own for its handles).
///
/// # Safety
/// Must run on the JS thread of `env`, whose state `state` is, inside a handle scope.
unsafe fn context(
    env: sys::napi_env,
    state: &Environment,
) -> napi::Result<sys::napi_async_context> {
    let existing = state.close_context.get();
    if !existing.is_null() {
        return Ok(existing);
    }
    let mut resource = ptr::null_mut();
    let mut context = ptr::null_mut();
    // SAFETY: this fn's contract (env's JS thread, a scope for `resource` and `name`);
    // the async context napi makes outlives the scope (it holds its resource itself).
    unsafe {
        check(sys::napi_create_object(env, &mut resource))?;
        let name = crate::sys::napi_raw::string(env, "rsnet:close")?;
        check(sys::napi_async_init(env, resource, name, &mut context))?;
    }
    state.close_context.set(context);
    Ok(context)
}

/// Close callback of a placeholder: runs its `'close'` callback.
///
/// # Safety
/// Only libuv calls it, once, on the loop's (JS) thread, for a placeholder made by
/// `schedule_close`.
unsafe extern "C" fn on_closed(placeholder: *mut Handle) {
    crate::sys::uv::guard("on_closed", || {
        // SAFETY: libuv is done with a handle once its close callback runs, and this
        // one was the `Handle::boxed` of `schedule_close`, whose `data` is the
        // `CloseCall` boxed there: both boxes are ours again, freed once, here.
        let placeholder = unsafe { Box::from_raw(placeholder) };
        // SAFETY: see above.
        let pending = unsafe { Box::from_raw(placeholder.data as *mut CloseCall) };
        // During the environment's teardown nothing may run any more.
        let Some(state) = env::current() else {
            return;
        };
        let env = pending.env;
        // SAFETY: libuv runs close callbacks on the loop's thread, the JS thread of
        // `env`, which is still set up (checked above); outside any napi call, so a
        // scope is opened here for the values below and closed after. The reference
        // was made by `schedule_close` and is deleted once, here; the context is this
        // thread's (`context`, made by the same `schedule_close`).
        unsafe {
            let mut scope = ptr::null_mut();
            if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
                return;
            }
            let mut callback = ptr::null_mut();
            sys::napi_get_reference_value(env, pending.callback, &mut callback);
            sys::napi_delete_reference(env, pending.callback);
            // A throwing 'close' listener is an uncaught exception, as in Node; any
            // other failure has nobody to report to, and is dropped.
            let _ = napi_raw::call(env, Some(state.close_context.get()), callback, &[]);
            sys::napi_close_handle_scope(env, scope);
        }
    });
}
