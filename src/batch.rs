//! Encodes a drained batch of events as JS values and makes the one JS call.
//!
//! Layout of the single ArrayBuffer handed to `dispatch(buffer, count, handles)`:
//! `count` records of four int32 `[kind, id, a, b]`, then the bytes of every `Data`
//! event back to back (`a` is each one's length, in order). One allocation and one copy
//! per batch, however many sockets it covers; JS slices views out of it. `handles` is an
//! array of new `SocketHandle`s for `Accepted` events (`a` indexes it), or undefined.

use std::ptr;

use napi::bindgen_prelude::ToNapiValue;
use napi::{sys, Env};

use crate::events::Event;
use crate::socket::SocketHandle;

/// Event kinds as seen by lib/binding.js (keep the two in step).
pub mod kind {
    pub const DATA: i32 = 1;
    pub const EOF: i32 = 2;
    pub const READ_ERROR: i32 = 3;
    pub const WRITTEN: i32 = 4;
    pub const WRITE_ERROR: i32 = 5;
    pub const SHUTDOWN: i32 = 6;
    pub const CONNECTED: i32 = 7;
    pub const ACCEPTED: i32 = 8;
    pub const ACCEPT_ERROR: i32 = 9;
}

const RECORD_BYTES: usize = 16;

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_status(napi::Status::from(status)))
    }
}

/// Builds the batch and calls `js_cb` once. An exception thrown by JS becomes an
/// uncaught exception, exactly as a throw in a built-in `net` event handler would.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a TSFN callback.
pub unsafe fn dispatch(env: sys::napi_env, js_cb: sys::napi_value, events: Vec<Event>) -> napi::Result<()> {
    let count = events.len();
    let data_bytes: usize = events
        .iter()
        .map(|event| match event {
            Event::Data(_, bytes) => bytes.len(),
            _ => 0,
        })
        .sum();
    let meta_bytes = count * RECORD_BYTES;
    let mut raw: *mut std::ffi::c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    check(unsafe { sys::napi_create_arraybuffer(env, meta_bytes + data_bytes, &mut raw, &mut buffer) })?;
    let out: &mut [u8] = if meta_bytes + data_bytes == 0 {
        &mut []
    } else {
        unsafe { std::slice::from_raw_parts_mut(raw.cast::<u8>(), meta_bytes + data_bytes) }
    };
    let (meta, data) = out.split_at_mut(meta_bytes);

    let mut handles: sys::napi_value = ptr::null_mut();
    let mut handle_count = 0u32;
    let mut offset = 0usize;
    for (index, event) in events.into_iter().enumerate() {
        let record = match event {
            Event::Data(stream, bytes) => {
                data[offset..offset + bytes.len()].copy_from_slice(&bytes);
                offset += bytes.len();
                stream.delivered(bytes.len());
                [kind::DATA, stream.id as i32, bytes.len() as i32, 0]
            }
            Event::Eof(id) => [kind::EOF, id as i32, 0, 0],
            Event::ReadError(id, status) => [kind::READ_ERROR, id as i32, status, 0],
            Event::Written(id, n) => [kind::WRITTEN, id as i32, n as i32, 0],
            Event::WriteError(id, status) => [kind::WRITE_ERROR, id as i32, status, 0],
            Event::Shutdown(id, status) => [kind::SHUTDOWN, id as i32, status, 0],
            Event::Connected(id, status) => [kind::CONNECTED, id as i32, status, 0],
            Event::AcceptError(id, status) => [kind::ACCEPT_ERROR, id as i32, status, 0],
            Event::Accepted(server_id, stream) => {
                if handles.is_null() {
                    check(unsafe { sys::napi_create_array(env, &mut handles) })?;
                }
                let handle = unsafe { SocketHandle::to_napi_value(env, SocketHandle::accepted(&Env::from_raw(env), stream))? };
                check(unsafe { sys::napi_set_element(env, handles, handle_count, handle) })?;
                handle_count += 1;
                [kind::ACCEPTED, server_id as i32, handle_count as i32 - 1, 0]
            }
        };
        let slot = &mut meta[index * RECORD_BYTES..(index + 1) * RECORD_BYTES];
        for (field, value) in slot.chunks_exact_mut(4).zip(record) {
            field.copy_from_slice(&value.to_ne_bytes());
        }
    }

    let mut args = [buffer, ptr::null_mut(), ptr::null_mut()];
    unsafe {
        check(sys::napi_create_uint32(env, count as u32, &mut args[1]))?;
        if handles.is_null() {
            check(sys::napi_get_undefined(env, &mut args[2]))?;
        } else {
            args[2] = handles;
        }
        let mut receiver = ptr::null_mut();
        check(sys::napi_get_undefined(env, &mut receiver))?;
        let mut result = ptr::null_mut();
        let status = sys::napi_call_function(env, receiver, js_cb, args.len(), args.as_ptr(), &mut result);
        if status == sys::Status::napi_pending_exception {
            let mut error = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut error);
            sys::napi_fatal_exception(env, error);
            return Ok(());
        }
        check(status)
    }
}

/// Raises `message` as an uncaught JS error (process 'uncaughtException').
///
/// # Safety
/// Must run on the JS thread of `env`.
pub unsafe fn raise(env: sys::napi_env, message: &str) {
    unsafe {
        let mut is_pending = false;
        sys::napi_is_exception_pending(env, &mut is_pending);
        let mut error = ptr::null_mut();
        if is_pending {
            sys::napi_get_and_clear_last_exception(env, &mut error);
        } else {
            let mut text = ptr::null_mut();
            sys::napi_create_string_utf8(env, message.as_ptr().cast(), message.len(), &mut text);
            sys::napi_create_error(env, ptr::null_mut(), text, &mut error);
        }
        sys::napi_fatal_exception(env, error);
    }
}
