//! Bulk reads on a JS thread (the in-loop driver's) into memory JS allocated, lent
//! by the napi layer, so that a large chunk reaches JS without a copy (see
//! `napi::read_memory`).

use std::sync::OnceLock;

use bytes::Bytes;

use super::{Io, ReadStep, Reader, StreamCore, BIG_READ_SIZE, READ_SIZE};

/// Where a bulk read made on a JS thread may land so that JS can get it without a
/// copy: memory JS allocated (a Buffer of [`READ_SIZE`] or [`BIG_READ_SIZE`] bytes not
/// yet visible to JS), lent by the napi layer, which registers these. A runtime thread
/// never uses them.
pub struct JsReadMemory {
    /// This thread's spare region of the given size, or null (none can be made: no
    /// environment here).
    pub spare: fn(usize) -> *mut u8,
    /// The spare region now holds a chunk of the given length on its way to JS: the
    /// next read needs another. The napi layer hands it to JS, or copies the chunk out
    /// and reuses it.
    pub lend: fn(*mut u8, usize),
}

static JS_READ_MEMORY: OnceLock<JsReadMemory> = OnceLock::new();

/// Registers the napi layer's read memory (the first registration holds).
pub fn set_js_read_memory(memory: JsReadMemory) {
    let _ = JS_READ_MEMORY.set(memory);
}

/// A chunk read into JS memory ([`JsReadMemory`]): the napi layer keeps that memory
/// alive (a strong reference) until it delivers the chunk to JS, so this owner holds
/// nothing and frees nothing.
struct LentChunk {
    data: *const u8,
    len: usize,
}

// SAFETY: a LentChunk is only a pointer and a length. Its bytes are written once by
// read(2) before it is made and not again while it is on its way to JS, and stay alive
// until the napi layer delivers them (on the JS thread that read them; see
// `JsReadMemory`).
unsafe impl Send for LentChunk {}

impl AsRef<[u8]> for LentChunk {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `data` is `len` initialised bytes (read(2) wrote them) of a region
        // the napi layer keeps alive while the chunk is on its way to JS.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl StreamCore {
    /// [`StreamCore::read_step`] for a reader on a JS thread (the in-loop driver): a
    /// bulk read lands in memory JS allocated, which the chunk then holds on its way
    /// to JS (no Rust allocation, and no external Buffer and its finalizer when JS
    /// gets that memory as it is). After a read that found [`READ_SIZE`] bytes or more,
    /// the next offers [`BIG_READ_SIZE`]: one syscall and one 'data' event for what
    /// libuv would read in several.
    pub fn read_step_on_js_thread(&self, io: &Io, reader: &mut Reader) -> ReadStep {
        let Some(memory) = JS_READ_MEMORY.get() else {
            return self.read_step(io, reader);
        };
        if self.is_tls() || !reader.bulk {
            return self.read_step(io, reader);
        }
        let size = if reader.big { BIG_READ_SIZE } else { READ_SIZE };
        let region = (memory.spare)(size);
        if region.is_null() {
            return self.read_step(io, reader);
        }
        // SAFETY: a spare region of `size` bytes is JS memory that no JS value shows
        // yet and nothing else writes (`JsReadMemory`); it stays alive meanwhile.
        let target = unsafe { std::slice::from_raw_parts_mut(region, size) };
        let outcome = io.try_read(target).map(|n| {
            if n == 0 {
                return (0, Bytes::new());
            }
            (memory.lend)(region, n);
            let chunk = LentChunk {
                data: region,
                len: n,
            };
            (n, Bytes::from_owner(chunk))
        });
        self.read_outcome(outcome, size, reader)
    }
}
