//! Encodes a drained batch of events as JS values and makes the one JS call.
//!
//! Layout of the single Buffer handed to `dispatch(buffer, count, objects, loopTurn, nextTurn)` (a Buffer,
//! not an ArrayBuffer: its memory is not zeroed before being overwritten):
//! `count` records of four int32 `[kind, id, a, b]`, then the bytes of every small
//! `Data` event back to back (`a` is each one's length, in order). One allocation and
//! one copy per batch, however many sockets it covers; JS slices views out of it.
//! A large chunk (at least [`OWN_BUFFER_BYTES`]) gets a Buffer of its own, at
//! `objects[b]` (`b` is -1 for inline data), so that a chunk kept by the application
//! never pins the memory of a whole batch. `objects` also carries the new
//! `SocketHandle`s of `Accepted` events (`a` indexes it); it is undefined when empty.

use std::collections::HashMap;
use std::ptr;

use napi::bindgen_prelude::ToNapiValue;
use napi::sys;
use napi_derive::napi;

use crate::core::event::Event;
use crate::core::stream;
use crate::napi::socket::SocketHandle;
use crate::sys::errno;
use crate::sys::napi_raw::{self, check};

/// Event kinds of a batch record; JS reads them from [`constants`].
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
    pub const SPLICE_READY: i32 = 10;
}

/// Fields of a record (`[kind, id, a, b]`), each an int32; JS reads it from [`constants`].
const RECORD_FIELDS: usize = 4;
const RECORD_BYTES: usize = RECORD_FIELDS * 4;
/// Data chunks at least this large get a Buffer of their own (see the module docs).
const OWN_BUFFER_BYTES: usize = 16 * 1024;

/// Builds the batch and calls `js_cb` once, through [`napi_raw::call`]: an exception
/// thrown by JS becomes an uncaught exception, exactly as a throw in a built-in `net`
/// event handler would. With an async context (a call from a libuv callback), the call
/// goes through `napi_make_callback`, which runs the tick queues afterwards as Node's
/// own I/O does.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a TSFN callback or a handle scope;
/// `js_cb` must be a function of that environment and `context` one of its async
/// contexts.
pub unsafe fn dispatch(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    events: Vec<Event>,
    context: Option<sys::napi_async_context>,
    next_turn: bool,
) -> napi::Result<()> {
    let count = events.len();
    let data_bytes: usize = events
        .iter()
        .map(|event| match event {
            Event::Data(_, bytes) if bytes.len() < OWN_BUFFER_BYTES => bytes.len(),
            _ => 0,
        })
        .sum();
    let meta_bytes = count * RECORD_BYTES;
    let mut raw: *mut std::ffi::c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    // SAFETY: on env's JS thread inside a scope (this fn's contract); `raw` and
    // `buffer` are out-parameters.
    check(unsafe { sys::napi_create_buffer(env, meta_bytes + data_bytes, &mut raw, &mut buffer) })?;
    let out: &mut [u8] = if meta_bytes + data_bytes == 0 {
        &mut []
    } else {
        // SAFETY: napi_create_buffer succeeded, so `raw` points to the Buffer's
        // `meta_bytes + data_bytes` bytes (uninitialised, but u8 has no invalid
        // values and every byte is written below before JS sees them). `buffer` is
        // held by the open scope, so V8 keeps the memory alive, and no JS runs until
        // the call at the end, after the last use of `out`.
        unsafe { std::slice::from_raw_parts_mut(raw.cast::<u8>(), meta_bytes + data_bytes) }
    };
    let (meta, data) = out.split_at_mut(meta_bytes);

    let mut objects = Objects {
        env,
        array: ptr::null_mut(),
        len: 0,
    };
    let mut offset = 0usize;
    for (index, event) in events.into_iter().enumerate() {
        let record = match event {
            Event::Data(stream, bytes) => {
                let len = bytes.len();
                stream.delivered(len);
                let own = if len < OWN_BUFFER_BYTES {
                    data[offset..offset + len].copy_from_slice(&bytes);
                    offset += len;
                    -1
                } else {
                    // SAFETY: on env's JS thread inside the scope (this fn's contract).
                    objects.push(unsafe { large_chunk_buffer(env, bytes)? })?
                };
                [kind::DATA, stream.id as i32, len as i32, own]
            }
            Event::Eof(id) => [kind::EOF, id as i32, 0, 0],
            Event::ReadError(id, status) => [kind::READ_ERROR, id as i32, status, 0],
            Event::Written(id, n) => [kind::WRITTEN, id as i32, n as i32, 0],
            Event::WriteError(id, status) => [kind::WRITE_ERROR, id as i32, status, 0],
            Event::Shutdown(id, status) => [kind::SHUTDOWN, id as i32, status, 0],
            Event::Connected(id, status) => [kind::CONNECTED, id as i32, status, 0],
            Event::AcceptError(id, status) => [kind::ACCEPT_ERROR, id as i32, status, 0],
            Event::SpliceReady(id, generation) => {
                [kind::SPLICE_READY, id as i32, generation as i32, 0]
            }
            Event::Accepted(server_id, stream) => {
                let handle = SocketHandle::accepted(stream)?;
                // SAFETY: on env's JS thread inside the scope (this fn's contract), which
                // is what napi-rs's ToNapiValue needs to wrap the new handle.
                let index = objects.push(unsafe { SocketHandle::to_napi_value(env, handle)? })?;
                [kind::ACCEPTED, server_id as i32, index, 0]
            }
        };
        let slot = &mut meta[index * RECORD_BYTES..(index + 1) * RECORD_BYTES];
        for (field, value) in slot.chunks_exact_mut(4).zip(record) {
            field.copy_from_slice(&value.to_ne_bytes());
        }
    }

    let mut args = [
        buffer,
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
    ];
    // SAFETY: on env's JS thread inside the caller's scope (this fn's contract); each
    // call writes one value into its slot of `args`.
    unsafe {
        check(sys::napi_get_boolean(env, next_turn, &mut args[4]))?;
        check(sys::napi_create_uint32(env, count as u32, &mut args[1]))?;
        check(sys::napi_create_double(
            env,
            crate::sys::loop_turn::current(env),
            &mut args[3],
        ))?;
        if objects.array.is_null() {
            check(sys::napi_get_undefined(env, &mut args[2]))?;
        } else {
            args[2] = objects.array;
        }
    }
    // SAFETY: same thread and scope; `js_cb` and `args` are values of this environment
    // made in it (the caller's `dispatch` function and the batch's values).
    unsafe { napi_raw::call(env, context, js_cb, &args) }
}

/// The batch's array of JS objects, created on first use. Made only inside `dispatch`,
/// so `env` is the JS thread's own and a handle scope is open while it lives.
struct Objects {
    env: sys::napi_env,
    array: sys::napi_value,
    len: u32,
}

impl Objects {
    /// Appends `value`; returns its index.
    fn push(&mut self, value: sys::napi_value) -> napi::Result<i32> {
        // SAFETY: `dispatch` holds the only `Objects`, on env's JS thread inside its
        // scope; `value` and `array` are values of that scope.
        unsafe {
            if self.array.is_null() {
                check(sys::napi_create_array(self.env, &mut self.array))?;
            }
            check(sys::napi_set_element(self.env, self.array, self.len, value))?;
        }
        self.len += 1;
        Ok(self.len as i32 - 1)
    }
}

/// Chunks at least this large are lent to JS as they are (no copy); smaller large ones
/// are copied, so that a kept chunk never pins more than twice its size (a read block
/// is at most 64 KiB).
const LEND_BYTES: usize = 32 * 1024;

/// The Buffer for a chunk that gets one of its own: the read block itself when it is
/// large enough (freed when V8 collects the Buffer), else a copy. Also a copy where
/// the runtime refuses external buffers.
///
/// # Safety
/// Must run on the JS thread of `env`.
unsafe fn large_chunk_buffer(
    env: sys::napi_env,
    bytes: bytes::Bytes,
) -> napi::Result<sys::napi_value> {
    if bytes.len() < LEND_BYTES {
        // SAFETY: this fn's contract (env's JS thread).
        return unsafe { copy_to_buffer(env, &bytes) };
    }
    let len = bytes.len();
    let data = bytes.as_ptr() as *mut std::ffi::c_void;
    let hint = Box::into_raw(Box::new(bytes));
    let mut buffer = ptr::null_mut();
    // SAFETY: env's JS thread (this fn's contract). `data` points to `len` bytes owned
    // by the `Bytes` boxed in `hint`, which nothing else frees: its memory stays put
    // until `release_block` drops the box when V8 collects the Buffer. JS may write
    // into it: a chunk is a read block of its own (`StreamCore::read_step`), moved
    // here out of its event, so no other `Bytes` shares that memory.
    let status = unsafe {
        sys::napi_create_external_buffer(
            env,
            len,
            data,
            Some(release_block),
            hint.cast(),
            &mut buffer,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: the call failed, so napi did not keep `hint` (no finalizer will
        // run); the box from `Box::into_raw` above is ours again.
        let bytes = unsafe { Box::from_raw(hint) };
        // SAFETY: this fn's contract (env's JS thread).
        return unsafe { copy_to_buffer(env, &bytes) };
    }
    Ok(buffer)
}

/// V8 collected a Buffer lent by `large_chunk_buffer`: free its block.
///
/// # Safety
/// Only napi calls it, once, as the finalizer of a Buffer made by
/// `large_chunk_buffer`, with that call's `hint`.
unsafe extern "C" fn release_block(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    // SAFETY: `hint` is the `Box<Bytes>` leaked by `large_chunk_buffer` for this
    // Buffer; napi runs a finalizer once, so the box is freed once, and V8 no longer
    // reads the bytes it lent.
    drop(unsafe { Box::from_raw(hint.cast::<bytes::Bytes>()) });
}

/// A new Buffer holding a copy of `bytes` (allocated uninitialised, unlike an
/// ArrayBuffer, which V8 would zero first).
///
/// # Safety
/// Must run on the JS thread of `env`.
unsafe fn copy_to_buffer(env: sys::napi_env, bytes: &[u8]) -> napi::Result<sys::napi_value> {
    let mut raw: *mut std::ffi::c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    // SAFETY: env's JS thread (this fn's contract); `raw`, `buffer` are out-parameters.
    check(unsafe { sys::napi_create_buffer(env, bytes.len(), &mut raw, &mut buffer) })?;
    // SAFETY: the Buffer just made has `bytes.len()` writable bytes at `raw`, fresh
    // from V8, so they cannot overlap the borrowed `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), raw.cast::<u8>(), bytes.len()) };
    Ok(buffer)
}

/// What JS needs of the contract:
/// `{ recordFields, events: { DATA, EOF, ... }, errno: { UV_EOF, ... },
/// writeStatus: { DONE, QUEUED } }` (what a write or shutdown verb returns when it
/// did not fail: done at once, or queued until an event completes it).
#[napi(object)]
pub struct Constants {
    pub record_fields: u32,
    pub events: HashMap<String, i32>,
    pub errno: HashMap<String, i32>,
    pub write_status: HashMap<String, i32>,
}

#[napi]
pub fn constants() -> Constants {
    use crate::napi::batch::kind;
    let pairs = |list: &[(&str, i32)]| list.iter().map(|&(k, v)| (k.to_owned(), v)).collect();
    Constants {
        record_fields: RECORD_FIELDS as u32,
        events: pairs(&[
            ("DATA", kind::DATA),
            ("EOF", kind::EOF),
            ("READ_ERROR", kind::READ_ERROR),
            ("WRITTEN", kind::WRITTEN),
            ("WRITE_ERROR", kind::WRITE_ERROR),
            ("SHUTDOWN", kind::SHUTDOWN),
            ("CONNECTED", kind::CONNECTED),
            ("ACCEPTED", kind::ACCEPTED),
            ("ACCEPT_ERROR", kind::ACCEPT_ERROR),
            ("SPLICE_READY", kind::SPLICE_READY),
        ]),
        errno: pairs(&[
            ("UV_EOF", errno::UV_EOF),
            ("UV_EADDRINUSE", errno::EADDRINUSE),
            ("UV_ECANCELED", errno::ECANCELED),
            ("UV_EINVAL", errno::EINVAL),
            ("UV_ENOTCONN", errno::ENOTCONN),
            ("UV_ETIMEDOUT", errno::ETIMEDOUT),
        ]),
        write_status: pairs(&[("DONE", stream::DONE), ("QUEUED", stream::QUEUED)]),
    }
}
