//! Encodes a drained batch of events as JS values and makes the one JS call.
//!
//! `dispatch(records, objects, block)` gets no new memory for a batch in the common
//! case, and as few napi values as it can (each costs a napi call; arguments left off
//! the end of the call are undefined to JS):
//! - One ArrayBuffer of int32 records that lives as long as the environment and is
//!   reused by every batch ([`Memory`]): a header record `[count, loopTurn, nextTurn,
//!   0]` (the batch's size, the loop turn it comes in, as its low 31 bits, or -1 where
//!   libuv does not count turns, and 1 for an empty batch that marks the next turn),
//!   then `count` records `[kind, id, a, b]`. `records` is that ArrayBuffer when it is
//!   new (the first batch, or one that outgrew it), else undefined, so JS keeps one
//!   `Int32Array` over it. JS must read the header first and copy what it keeps of a
//!   batch past the call.
//! - The bytes of each small `Data` event (under [`OWN_BUFFER_BYTES`]) are copied into
//!   `block`, an ArrayBuffer handed out by [`Memory`] piece by piece: `b` is the
//!   chunk's offset in it, `a` its length, and JS makes the chunk's Buffer over that
//!   range (a view: no native call, no copy). Native code writes only the part of a
//!   block it has not handed out yet, so a chunk's bytes never change under JS. A
//!   kept chunk pins its block: [`BLOCK_BYTES`] at most, as a chunk of Node's
//!   `Buffer.allocUnsafe` pool pins the pool (a batch whose small chunks add up to
//!   more gets a block of its own, as large as they are). `block` is undefined when
//!   the batch has no small data.
//! - A large chunk gets a Buffer of its own at `objects[-b - 1]` (`b` is negative),
//!   so that a big chunk kept by the application never pins other memory. `objects`
//!   also carries the new `SocketHandle`s of `Accepted` events (`a` indexes it); it
//!   is undefined when empty.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ptr;

use napi::bindgen_prelude::ToNapiValue;
use napi::sys;
use napi_derive::napi;

use crate::core::event::Event;
use crate::core::stream;
use crate::napi::read_memory;
use crate::napi::socket::{self, SocketHandle};
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
/// The records ArrayBuffer's first size: 64 records. It grows to the next power of two
/// a batch needs, and never shrinks.
const FIRST_RECORDS_BYTES: usize = 64 * RECORD_BYTES;
/// Data chunks at least this large get a Buffer of their own (see the module docs).
const OWN_BUFFER_BYTES: usize = 16 * 1024;
/// The size of a data block shared by the small chunks of consecutive batches: Node's
/// `Buffer.poolSize`, so that a kept chunk pins no more than one of Node's own pooled
/// Buffers does.
const BLOCK_BYTES: usize = 8 * 1024;

/// An ArrayBuffer that native code writes into, kept alive by a strong reference
/// while native code may still write into it.
struct Region {
    reference: sys::napi_ref,
    data: *mut u8,
    len: usize,
}

/// The memory batches reuse (see the module docs): the records ArrayBuffer, and the
/// current data block with how much of it is handed out.
struct Memory {
    records: Option<Region>,
    block: Option<Region>,
    block_used: usize,
}

thread_local! {
    // Per JS thread, so per environment; `reset` forgets it at the environment's
    // teardown (its references die with the environment).
    static MEMORY: RefCell<Memory> = const {
        RefCell::new(Memory { records: None, block: None, block_used: 0 })
    };
}

/// Forgets this environment's batch memory (its cleanup hook: the references go with
/// the environment).
pub fn reset() {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        memory.records = None;
        memory.block = None;
        memory.block_used = 0;
    });
}

/// A new ArrayBuffer of `len` bytes, and a strong reference that keeps it (and its
/// memory) alive.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
unsafe fn new_region(env: sys::napi_env, len: usize) -> napi::Result<(Region, sys::napi_value)> {
    let mut data: *mut std::ffi::c_void = ptr::null_mut();
    let mut value = ptr::null_mut();
    let mut reference = ptr::null_mut();
    // SAFETY: this fn's contract; `data`, `value` and `reference` are out-parameters.
    unsafe {
        check(sys::napi_create_arraybuffer(
            env, len, &mut data, &mut value,
        ))?;
        check(sys::napi_create_reference(env, value, 1, &mut reference))?;
    }
    let region = Region {
        reference,
        data: data.cast(),
        len,
    };
    Ok((region, value))
}

/// Drops the strong reference of a region native code no longer writes into (V8 frees
/// the ArrayBuffer once JS holds no view of it either).
///
/// # Safety
/// Must run on the JS thread of `env`.
unsafe fn release_region(env: sys::napi_env, region: Region) {
    // SAFETY: this fn's contract; the reference was made by `new_region` in this
    // environment and is deleted once (the region is consumed).
    unsafe { sys::napi_delete_reference(env, region.reference) };
}

/// The records ArrayBuffer, at least `len` bytes: its memory, and the ArrayBuffer
/// itself when it is new (JS then makes its view again).
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
unsafe fn records_region(
    env: sys::napi_env,
    memory: &mut Memory,
    len: usize,
) -> napi::Result<(*mut u8, Option<sys::napi_value>)> {
    if let Some(records) = &memory.records {
        if records.len >= len {
            return Ok((records.data, None));
        }
    }
    let size = len.next_power_of_two().max(FIRST_RECORDS_BYTES);
    // SAFETY: this fn's contract.
    let (region, value) = unsafe { new_region(env, size)? };
    let data = region.data;
    if let Some(old) = memory.records.replace(region) {
        // SAFETY: this fn's contract (env's JS thread).
        unsafe { release_region(env, old) };
    }
    Ok((data, Some(value)))
}

/// Room for `len` bytes of small data in a block: the block's memory at the start of
/// that room, the room's offset in it, and the block. A batch whose small data does not
/// fit in what is left of the current block starts a new one (of its own size when
/// that is larger than [`BLOCK_BYTES`]).
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
unsafe fn block_room(
    env: sys::napi_env,
    memory: &mut Memory,
    len: usize,
) -> napi::Result<(*mut u8, usize, sys::napi_value)> {
    if let Some(block) = &memory.block {
        if block.len - memory.block_used >= len {
            let offset = memory.block_used;
            memory.block_used += len;
            let mut value = ptr::null_mut();
            // SAFETY: this fn's contract; the reference is this environment's, alive.
            check(unsafe { sys::napi_get_reference_value(env, block.reference, &mut value) })?;
            // SAFETY: `offset + len <= block.len` (checked above): in the block.
            return Ok((unsafe { block.data.add(offset) }, offset, value));
        }
    }
    // SAFETY: this fn's contract.
    let (region, value) = unsafe { new_region(env, len.max(BLOCK_BYTES))? };
    let data = region.data;
    if let Some(old) = memory.block.replace(region) {
        // SAFETY: this fn's contract (env's JS thread).
        unsafe { release_region(env, old) };
    }
    memory.block_used = len;
    Ok((data, 0, value))
}

/// The header record's `loopTurn`: the low 31 bits of libuv's turn count (JS only
/// compares it with the previous batch's), or -1 where libuv does not count turns.
pub fn turn_field(loop_count: Option<u64>) -> i32 {
    loop_count.map_or(-1, |count| (count & 0x7fff_ffff) as i32)
}

/// Builds the batch and calls `js_cb` once, through [`napi_raw::call`]: an exception
/// thrown by JS becomes an uncaught exception, exactly as a throw in a built-in `net`
/// event handler would. With an async context (a call from a libuv callback), the call
/// goes through `napi_make_callback`, which runs the tick queues afterwards as Node's
/// own I/O does. (A plain call would save that callback scope's cost, ~3,000
/// instructions a batch, but Node needs one open: a native callback that JS makes
/// inside an event, such as the HTTP parser's, would otherwise be the outermost scope,
/// which runs the tick queues mid-event and aborts on its async-id checks.)
/// `loop_count` is libuv's count of the turn this batch comes in, if it counts them.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a TSFN callback or a handle scope, and
/// never while JS runs on that thread (libuv and TSFN callbacks do not nest in JS):
/// the records of the batch JS is delivering would be overwritten. `js_cb` must be a
/// function of that environment and `context` one of its async contexts.
pub unsafe fn dispatch(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    events: Vec<Event>,
    context: Option<sys::napi_async_context>,
    loop_count: Option<u64>,
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
    // `records`, `objects`, `block`; null for undefined.
    let mut args = [ptr::null_mut(); 3];
    let records_bytes = (count + 1) * RECORD_BYTES;
    let (meta, data, data_base) = MEMORY.with(|memory| -> napi::Result<_> {
        let mut memory = memory.borrow_mut();
        // SAFETY: on env's JS thread inside a scope (this fn's contract).
        let (meta, records) = unsafe { records_region(env, &mut memory, records_bytes)? };
        if let Some(records) = records {
            args[0] = records;
        }
        if data_bytes == 0 {
            return Ok((meta, ptr::null_mut(), 0));
        }
        // SAFETY: as above.
        let (data, base, block) = unsafe { block_room(env, &mut memory, data_bytes)? };
        args[2] = block;
        Ok((meta, data, base))
    })?;
    // SAFETY: `meta` is the records ArrayBuffer's memory, at least `records_bytes`
    // long (`records_region`), and `data` the `data_bytes` bytes of a block handed to
    // this batch (`block_room`), not handed to JS before; both ArrayBuffers are held
    // by strong references, so V8 keeps them. No JS runs until the call at the end
    // (after the last use of these slices), and none is running now (this fn's
    // contract), so nothing else reads or writes them meanwhile. u8 has no invalid
    // values.
    let (meta, data) = unsafe {
        (
            std::slice::from_raw_parts_mut(meta, records_bytes),
            if data_bytes == 0 {
                &mut [][..]
            } else {
                std::slice::from_raw_parts_mut(data, data_bytes)
            },
        )
    };
    let header = [count as i32, turn_field(loop_count), next_turn as i32, 0];
    write_record(meta, 0, header);

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
                let at = if len < OWN_BUFFER_BYTES {
                    let at = data_base + offset;
                    data[offset..offset + len].copy_from_slice(&bytes);
                    // SAFETY: on env's JS thread (this fn's contract); copied out above.
                    unsafe { read_memory::reuse(env, bytes.as_ptr()) };
                    offset += len;
                    at as i32
                } else {
                    // SAFETY: on env's JS thread inside the scope (this fn's contract).
                    -1 - objects.push(unsafe { large_chunk_buffer(env, bytes)? })?
                };
                [kind::DATA, stream.id as i32, len as i32, at]
            }
            Event::Eof(id) => [kind::EOF, id as i32, 0, 0],
            Event::ReadError(id, status) => [kind::READ_ERROR, id as i32, status, 0],
            // A completion settles its requests as it is handed to JS (`socket::settle`).
            Event::Written(id, n) => {
                // SAFETY: on env's JS thread (this fn's contract).
                unsafe { socket::settle(env, id, n, false) };
                [kind::WRITTEN, id as i32, n as i32, 0]
            }
            Event::WriteError(id, status) => [kind::WRITE_ERROR, id as i32, status, 0],
            Event::Shutdown(id, status) => {
                // SAFETY: as above.
                unsafe { socket::settle(env, id, 1, false) };
                [kind::SHUTDOWN, id as i32, status, 0]
            }
            Event::Connected(id, status) => {
                // SAFETY: as above.
                unsafe { socket::settle(env, id, 1, true) };
                [kind::CONNECTED, id as i32, status, 0]
            }
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
        write_record(meta, index + 1, record);
    }
    args[1] = objects.array;

    // Arguments left off the end are undefined to JS; one in between is made so.
    let argc = args
        .iter()
        .rposition(|arg| !arg.is_null())
        .map_or(0, |last| last + 1);
    for arg in &mut args[..argc] {
        if arg.is_null() {
            // SAFETY: on env's JS thread inside the caller's scope (this fn's contract).
            check(unsafe { sys::napi_get_undefined(env, arg) })?;
        }
    }
    // SAFETY: same thread and scope; `js_cb` and `args` are values of this environment
    // made in it (the caller's `dispatch` function and the batch's values).
    unsafe { napi_raw::call(env, context, js_cb, &args[..argc]) }
}

/// Writes record number `index` (the header is number 0) of the records memory.
fn write_record(meta: &mut [u8], index: usize, record: [i32; RECORD_FIELDS]) {
    let slot = &mut meta[index * RECORD_BYTES..(index + 1) * RECORD_BYTES];
    for (field, value) in slot.chunks_exact_mut(4).zip(record) {
        field.copy_from_slice(&value.to_ne_bytes());
    }
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
/// is 64 KiB, or a big one whose chunk filled at least half of it: the stream copies a
/// smaller chunk out of a big block itself, `StreamCore`'s read step).
const LEND_BYTES: usize = 32 * 1024;

/// The Buffer for a chunk that gets one of its own: when it is large enough, the
/// Buffer it was read into if that was JS memory (`read_memory`; JS cuts the chunk's
/// length out of it), else its read block (an external Buffer, freed when V8 collects
/// it); else a copy. Also a copy where the runtime refuses external buffers.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
unsafe fn large_chunk_buffer(
    env: sys::napi_env,
    bytes: bytes::Bytes,
) -> napi::Result<sys::napi_value> {
    if bytes.len() < LEND_BYTES {
        // SAFETY: this fn's contract (env's JS thread).
        let copy = unsafe { copy_to_buffer(env, &bytes) };
        // SAFETY: as above; the bytes were copied out (or the copy failed).
        unsafe { read_memory::reuse(env, bytes.as_ptr()) };
        return copy;
    }
    // SAFETY: this fn's contract.
    if let Some(buffer) = unsafe { read_memory::hand_over(env, bytes.as_ptr()) } {
        return buffer;
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
