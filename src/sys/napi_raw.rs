//! Thin helpers for the raw napi calls of the event path (which runs outside napi-rs's
//! generated glue: in TSFN and libuv callbacks), and the one place that calls JS from
//! there.
//!
//! Every napi call needs the `napi_env` of the JS thread it runs on (Node's napi
//! documentation: an env may be used only on its own thread); values it returns live
//! in the handle scope open at the time. The `# Safety` sections below restate that.

use std::ptr;

use napi::sys;

/// napi_ok, or the status as an error.
pub fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_status(napi::Status::from(status)))
    }
}

/// A JS string.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
pub unsafe fn string(env: sys::napi_env, text: &str) -> napi::Result<sys::napi_value> {
    let mut value = ptr::null_mut();
    // SAFETY: the caller is on env's JS thread; napi reads exactly `text.len()` bytes
    // from `text`, which we borrow, and writes one value into `value`.
    check(unsafe {
        sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len(), &mut value)
    })?;
    Ok(value)
}

/// Calls `function` with `args` as Node calls an I/O callback. With an async `context`
/// (a call from a libuv callback), through `napi_make_callback` with the global object
/// as receiver, which runs the tick and microtask queues afterwards; without one (a
/// TSFN callback, whose caller runs them), a plain `napi_call_function` with
/// `undefined` as receiver. An exception JS throws becomes an uncaught exception
/// (process `'uncaughtException'`), exactly as a throw in a built-in `net` event
/// handler would, and the call counts as done (`Ok`).
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope; `function` and `args`
/// must be values of that environment, and `context` one of its async contexts.
pub unsafe fn call(
    env: sys::napi_env,
    context: Option<sys::napi_async_context>,
    function: sys::napi_value,
    args: &[sys::napi_value],
) -> napi::Result<()> {
    let mut result = ptr::null_mut();
    // napi reads argv only when argc > 0.
    let argv = if args.is_empty() {
        ptr::null()
    } else {
        args.as_ptr()
    };
    // SAFETY: the caller guarantees the JS thread, a handle scope and values of this
    // environment; `argv` points to `args.len()` values we borrow for the call, and
    // `receiver`/`result` are out-parameters napi writes one value into.
    let status = unsafe {
        match context {
            Some(context) => {
                // make_callback wants an object receiver.
                let mut receiver = ptr::null_mut();
                sys::napi_get_global(env, &mut receiver);
                sys::napi_make_callback(
                    env,
                    context,
                    receiver,
                    function,
                    args.len(),
                    argv,
                    &mut result,
                )
            }
            None => {
                let mut receiver = ptr::null_mut();
                check(sys::napi_get_undefined(env, &mut receiver))?;
                sys::napi_call_function(env, receiver, function, args.len(), argv, &mut result)
            }
        }
    };
    if status == sys::Status::napi_pending_exception {
        // SAFETY: same thread and scope as the call that left the exception pending.
        unsafe { rethrow_uncaught(env) };
        return Ok(());
    }
    check(status)
}

/// Raises `message` as an uncaught JS error (process `'uncaughtException'`), or the
/// exception already pending if there is one.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
pub unsafe fn raise(env: sys::napi_env, message: &str) {
    let mut is_pending = false;
    // SAFETY: the caller is on env's JS thread; `is_pending` is an out-parameter.
    unsafe { sys::napi_is_exception_pending(env, &mut is_pending) };
    if is_pending {
        // SAFETY: as above, and an exception is pending.
        unsafe { rethrow_uncaught(env) };
        return;
    }
    // SAFETY: the caller is on env's JS thread, in a handle scope that holds the new
    // string and error; napi reads `message.len()` bytes of the borrowed `message`.
    unsafe {
        let mut text = ptr::null_mut();
        sys::napi_create_string_utf8(env, message.as_ptr().cast(), message.len(), &mut text);
        let mut error = ptr::null_mut();
        sys::napi_create_error(env, ptr::null_mut(), text, &mut error);
        sys::napi_fatal_exception(env, error);
    }
}

/// Turns the pending JS exception into an uncaught one.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope, with an exception
/// pending.
unsafe fn rethrow_uncaught(env: sys::napi_env) {
    let mut error = ptr::null_mut();
    // SAFETY: the caller's guarantees; `error` is an out-parameter that holds the
    // cleared exception for napi_fatal_exception, in the caller's scope.
    unsafe {
        sys::napi_get_and_clear_last_exception(env, &mut error);
        sys::napi_fatal_exception(env, error);
    }
}
