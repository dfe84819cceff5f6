//! Thin helpers for the raw napi calls of the event path (which runs outside napi-rs's
//! generated glue: in TSFN and libuv callbacks).

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
/// Must run on the JS thread of `env`.
pub unsafe fn string(env: sys::napi_env, text: &str) -> napi::Result<sys::napi_value> {
    let mut value = ptr::null_mut();
    check(unsafe {
        sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len(), &mut value)
    })?;
    Ok(value)
}
