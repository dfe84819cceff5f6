//! What the C allocator holds for the whole process, for the idle-memory benchmark
//! (`benchmark/idle-memory.js`) and its count test: native bytes per connection are
//! the difference of this figure at two connection counts. Rust allocates through the
//! system allocator, as Node's own handle wraps (a `TCPWrap`, its `uv_tcp_t`) do, so
//! the same figure counts rsnet's native state and built-in net's alike.

use napi_derive::napi;

/// Bytes malloc has handed out and not had back (glibc's `mallinfo2`: `uordblks`, in
/// every arena, plus `hblkhd`, the chunks it mapped on their own); undefined where
/// the C library does not say.
#[napi]
pub fn malloc_in_use() -> Option<f64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments and only reads the allocator's
        // counters, under its own locks.
        let info = unsafe { libc::mallinfo2() };
        Some((info.uordblks + info.hblkhd) as f64)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}
