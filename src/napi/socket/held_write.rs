//! A written Buffer held until the kernel takes it: the rest of a large write the
//! socket had no room for is queued as the Buffer's own memory, not a copy
//! (`StreamCore::write_buffer`), as Node's stream_base keeps a write's Buffer while
//! libuv finishes it. A strong reference keeps the Buffer, so its memory, alive; the
//! queue drops it on the JS thread once the rest is written (or the stream closed).
//! As in Node, a program that changes the Buffer before the write's callback changes
//! what is sent.

use std::ptr;
use std::thread::{self, ThreadId};

use bytes::Bytes;
use napi::sys;

use crate::napi::env;
use crate::sys::napi_raw::check;

/// The memory of a Buffer and the reference that keeps it alive.
struct HeldBuffer {
    data: *const u8,
    len: usize,
    env: sys::napi_env,
    reference: sys::napi_ref,
    /// The JS thread that made the reference, the only one that may delete it.
    thread: ThreadId,
}

// SAFETY: the pointer is to a Buffer's memory, which V8 never moves and the reference
// keeps alive; reading it from any thread is sound. The reference itself is only
// deleted on the thread that made it (`Drop` checks), and a polled stream's queue,
// the only one that holds these, is flushed and dropped on that thread anyway.
unsafe impl Send for HeldBuffer {}

impl AsRef<[u8]> for HeldBuffer {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `len` bytes of a Buffer the reference keeps alive (see `hold`).
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl Drop for HeldBuffer {
    fn drop(&mut self) {
        // Only on the JS thread of the environment that made the reference, while it
        // is still set up; anywhere else (a teardown that dropped it first) the
        // reference is left to the environment, which frees its references with it.
        let here = thread::current().id() == self.thread
            && env::current().is_some_and(|e| e.direct.env == self.env);
        if here {
            // SAFETY: this environment's reference, on its JS thread, deleted once.
            unsafe { sys::napi_delete_reference(self.env, self.reference) };
        }
    }
}

/// `data`'s memory (the bytes of `buffer`) as `Bytes` that hold `buffer` alive until
/// dropped; None if the reference cannot be made (the caller copies then).
///
/// # Safety
/// On the JS thread of `env`, inside the napi call that got `buffer` and `data`.
pub(super) unsafe fn hold(
    env: sys::napi_env,
    buffer: sys::napi_value,
    data: &[u8],
) -> Option<Bytes> {
    let mut reference = ptr::null_mut();
    // SAFETY: this fn's contract: a live value of this environment, on its thread.
    check(unsafe { sys::napi_create_reference(env, buffer, 1, &mut reference) }).ok()?;
    Some(Bytes::from_owner(HeldBuffer {
        data: data.as_ptr(),
        len: data.len(),
        env,
        reference,
        thread: thread::current().id(),
    }))
}
