//! Which turn of its event loop an environment is in. libuv counts the turns
//! (`uv_metrics_info`, libuv >= 1.45); JS uses the count to hand a socket's reads to
//! callbacks at most once per turn, as libuv itself does (see lib/binding.js).

use std::ffi::{c_int, c_void, CStr};
use std::sync::OnceLock;

use napi::sys;

#[repr(C)]
struct Metrics {
    loop_count: u64,
    events: u64,
    events_waiting: u64,
    reserved: [*mut u64; 13],
}

type MetricsInfo = unsafe extern "C" fn(*mut c_void, *mut Metrics) -> c_int;

/// Looked up at run time: a Node 20 whose libuv predates it still loads rsnet.
fn metrics_info() -> Option<MetricsInfo> {
    static FOUND: OnceLock<Option<MetricsInfo>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        const NAME: &CStr = c"uv_metrics_info";
        // SAFETY: NAME is a NUL-terminated static string; dlsym(RTLD_DEFAULT) only looks
        // it up among the symbols already loaded, and is thread-safe.
        let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, NAME.as_ptr()) };
        (!symbol.is_null()).then(|| {
            // SAFETY: a non-null `uv_metrics_info` is libuv's function, declared in
            // uv.h as `int uv_metrics_info(uv_loop_t*, uv_metrics_t*)`: this signature.
            unsafe { std::mem::transmute::<*mut c_void, MetricsInfo>(symbol) }
        })
    })
}

/// The number of the turn `uv_loop` is in, if this libuv counts them.
///
/// # Safety
/// `uv_loop` must be the libuv loop of the calling thread.
pub unsafe fn of_loop(uv_loop: *mut c_void) -> Option<u64> {
    let metrics_info = metrics_info()?;
    // SAFETY: this fn's contract (the calling thread's loop); `metrics` is laid out as
    // uv.h's `uv_metrics_t` and valid all-zero, as in `current`.
    unsafe {
        let mut metrics = std::mem::zeroed::<Metrics>();
        (metrics_info(uv_loop, &mut metrics) == 0).then_some(metrics.loop_count)
    }
}

/// The number of the loop turn running now, or -1 if this libuv does not count them.
/// Every event batch carries it (see `batch::dispatch`), so JS needs no call of its own.
///
/// # Safety
/// Must run on the JS thread of `env` (napi and the loop are that thread's only).
pub unsafe fn current(env: sys::napi_env) -> f64 {
    let Some(metrics_info) = metrics_info() else {
        return -1.0;
    };
    let mut uv_loop = std::ptr::null_mut();
    // SAFETY: on the JS thread of `env` (this fn's contract), whose loop outlives the
    // call and is used on its own thread; uv_metrics_info only fills
    // `metrics`, which is laid out as uv.h's `uv_metrics_t` (its reserved fields
    // included, so libuv writes within it) and valid all-zero (integers and null
    // pointers).
    unsafe {
        if sys::napi_get_uv_event_loop(env, &mut uv_loop) != sys::Status::napi_ok {
            return -1.0;
        }
        let mut metrics = std::mem::zeroed::<Metrics>();
        if metrics_info(uv_loop.cast(), &mut metrics) != 0 {
            return -1.0;
        }
        metrics.loop_count as f64
    }
}
