//! The few libuv functions rsnet calls, and storage for the handles it owns.
//!
//! Node links libuv into its own binary and exports its symbols, so an addon may use the
//! loop Node runs (`napi_get_uv_event_loop`). rsnet does so for the loop driver
//! (`driver::in_loop`) and to run `'close'` callbacks in libuv's close phase (`close_phase`).
//!
//! The FFI contract, which every caller's `// SAFETY:` relies on: the declarations
//! below match libuv's `uv.h` (1.x, whose ABI is stable across minor versions). A loop
//! and its handles may be used only on the loop's own thread, which for Node's loop
//! is the environment's JS thread. A handle's memory must stay valid and unmoved from
//! its `uv_*_init` until its close callback runs (then libuv no longer touches it);
//! after a failed init libuv holds no pointer to it. Callbacks are called on the
//! loop's thread and must not unwind ([`guard`]).

use std::ffi::{c_int, c_void};

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    pub fn uv_poll_init(event_loop: *mut c_void, handle: *mut Handle, fd: c_int) -> c_int;
    pub fn uv_poll_start(
        handle: *mut Handle,
        events: c_int,
        cb: unsafe extern "C" fn(*mut Handle, c_int, c_int),
    ) -> c_int;
    pub fn uv_poll_stop(handle: *mut Handle) -> c_int;
    pub fn uv_check_init(event_loop: *mut c_void, handle: *mut Handle) -> c_int;
    pub fn uv_check_start(handle: *mut Handle, cb: unsafe extern "C" fn(*mut Handle)) -> c_int;
    pub fn uv_idle_init(event_loop: *mut c_void, handle: *mut Handle) -> c_int;
    pub fn uv_idle_start(handle: *mut Handle, cb: unsafe extern "C" fn(*mut Handle)) -> c_int;
    pub fn uv_idle_stop(handle: *mut Handle) -> c_int;
    pub fn uv_prepare_init(event_loop: *mut c_void, handle: *mut Handle) -> c_int;
    pub fn uv_prepare_start(handle: *mut Handle, cb: unsafe extern "C" fn(*mut Handle)) -> c_int;
    pub fn uv_prepare_stop(handle: *mut Handle) -> c_int;
    pub fn uv_close(handle: *mut Handle, cb: unsafe extern "C" fn(*mut Handle));
    pub fn uv_timer_init(event_loop: *mut c_void, handle: *mut Handle) -> c_int;
    pub fn uv_timer_start(
        handle: *mut Handle,
        cb: unsafe extern "C" fn(*mut Handle),
        timeout: u64,
        repeat: u64,
    ) -> c_int;
    pub fn uv_unref(handle: *mut Handle);
}

/// libuv's handle types and poll event bits.
const UV_CHECK: c_int = 2;
const UV_IDLE: c_int = 6;
const UV_PREPARE: c_int = 9;
const UV_POLL: c_int = 8;
const UV_TIMER: c_int = 13;
pub const UV_READABLE: c_int = 1;

/// Room for any of the handles rsnet uses (checked against this libuv at start-up).
const HANDLE_BYTES: usize = 256;

/// True when this libuv's poll, check, idle and timer handles fit in a [`Handle`].
pub fn handles_fit() -> bool {
    [UV_POLL, UV_CHECK, UV_IDLE, UV_PREPARE, UV_TIMER]
        .iter()
        // SAFETY: uv_handle_size is a pure lookup of a constant, on any thread, for
        // any handle type.
        .all(|&kind| unsafe { uv_handle_size(kind) } <= HANDLE_BYTES)
}

/// Storage for a libuv handle (`uv_poll_t`, `uv_check_t`, `uv_idle_t`, `uv_timer_t`). They all start
/// with `void* data`.
#[repr(C, align(16))]
pub struct Handle {
    pub data: *mut c_void,
    _rest: [u8; HANDLE_BYTES - 8],
}

impl Handle {
    pub fn boxed(data: *mut c_void) -> *mut Handle {
        Box::into_raw(Box::new(Handle {
            data,
            _rest: [0; HANDLE_BYTES - 8],
        }))
    }
}

/// Close callback for a handle whose only owned memory is its own box.
///
/// # Safety
/// Only as the close callback of a handle made by [`Handle::boxed`] whose `data`
/// owns nothing: libuv calls it once, when it no longer uses the memory.
pub unsafe extern "C" fn free_handle(handle: *mut Handle) {
    // SAFETY: the handle is a `Handle::boxed` box libuv has finished with (its close
    // callback runs once), so it is ours to free, once.
    drop(unsafe { Box::from_raw(handle) });
}

/// Runs the body of a callback libuv makes. A panic must not unwind into libuv: that
/// aborts the process. It is reported on stderr instead, and the callback returns.
pub fn guard(callback: &str, body: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).is_err() {
        eprintln!("rsnet: internal panic in libuv callback {callback}; its work is dropped");
    }
}
