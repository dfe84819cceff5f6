//! `'close'` callbacks in libuv's own close phase.
//!
//! Node emits a socket's `'close'` from its handle's close callback: after the loop
//! turn's I/O and `setImmediate` callbacks, newest first when several handles closed in
//! one turn, and before the next turn's timers. rsnet's sockets have no libuv handle of
//! their own, so `scheduleClose(callback)` closes a placeholder (a `uv_check_t` that is
//! never started) and runs `callback` from that handle's close callback: the same
//! moment, by construction. The call goes through `napi_make_callback`, so ticks and
//! microtasks run after it as after any Node callback.

use std::cell::Cell;
use std::ptr;

use napi::{sys, Env, JsFunction, NapiRaw};
use napi_derive::napi;

use crate::sys::napi_raw::check;
use crate::sys::uv::{self, Handle};

thread_local! {
    /// The async context close callbacks run in, one per environment (JS thread).
    static CONTEXT: Cell<sys::napi_async_context> = const { Cell::new(ptr::null_mut()) };
}

/// What a placeholder carries to its close callback.
struct Pending {
    env: sys::napi_env,
    callback: sys::napi_ref,
}

/// Runs `callback` in this loop turn's close phase. False if it cannot (this libuv's
/// handles do not fit rsnet's storage); JS then falls back to `setImmediate`.
#[napi(catch_unwind)]
pub fn schedule_close(env: Env, callback: JsFunction) -> napi::Result<bool> {
    if !uv::handles_fit() {
        return Ok(false);
    }
    let raw = env.raw();
    let mut uv_loop = ptr::null_mut();
    let mut reference = ptr::null_mut();
    unsafe {
        check(sys::napi_get_uv_event_loop(raw, &mut uv_loop))?;
        context(raw)?;
        check(sys::napi_create_reference(
            raw,
            callback.raw(),
            1,
            &mut reference,
        ))?;
    }
    let pending = Box::into_raw(Box::new(Pending {
        env: raw,
        callback: reference,
    }));
    let placeholder = Handle::boxed(pending.cast());
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

/// The environment's async context, made on first use (never released: one per
/// environment, like Node's own for its handles).
unsafe fn context(env: sys::napi_env) -> napi::Result<sys::napi_async_context> {
    let existing = CONTEXT.with(Cell::get);
    if !existing.is_null() {
        return Ok(existing);
    }
    let mut resource = ptr::null_mut();
    let mut context = ptr::null_mut();
    unsafe {
        check(sys::napi_create_object(env, &mut resource))?;
        let name = crate::sys::napi_raw::string(env, "rsnet:close")?;
        check(sys::napi_async_init(env, resource, name, &mut context))?;
    }
    CONTEXT.with(|c| c.set(context));
    Ok(context)
}

unsafe extern "C" fn on_closed(placeholder: *mut Handle) {
    crate::sys::uv::guard("on_closed", || {
        let placeholder = unsafe { Box::from_raw(placeholder) };
        let pending = unsafe { Box::from_raw(placeholder.data as *mut Pending) };
        // During the environment's teardown nothing may run any more.
        if crate::napi::env::current_channel().is_none() {
            return;
        }
        let env = pending.env;
        unsafe {
            let mut scope = ptr::null_mut();
            if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
                return;
            }
            let mut callback = ptr::null_mut();
            sys::napi_get_reference_value(env, pending.callback, &mut callback);
            sys::napi_delete_reference(env, pending.callback);
            let mut receiver = ptr::null_mut();
            sys::napi_get_global(env, &mut receiver);
            let mut result = ptr::null_mut();
            let status = sys::napi_make_callback(
                env,
                CONTEXT.with(Cell::get),
                receiver,
                callback,
                0,
                ptr::null(),
                &mut result,
            );
            if status == sys::Status::napi_pending_exception {
                // A throwing 'close' listener is an uncaught exception, as in Node.
                let mut error = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(env, &mut error);
                sys::napi_fatal_exception(env, error);
            }
            sys::napi_close_handle_scope(env, scope);
        }
    });
}
