//! The handles rsnet keeps in Node's loop under both drivers, and the calls into JS
//! they make at fixed points of a loop turn.
//!
//! - A `uv_check` handle, right after libuv's poll phase (and before Node's own check
//!   handle, so before `setImmediate` callbacks, as I/O callbacks come before them in
//!   Node): it delivers the turn's events (the in-loop driver's reads, with whatever the
//!   runtime queued meanwhile) as one batch, then completes the requests JS finishes
//!   itself (a FIN sent at once), where libuv's pending queue would.
//! - A `uv_prepare` handle, at the start of the next turn (`request_next_turn`): JS
//!   holds a socket's second read of a turn until then, as libuv reads once per turn.
//! - A `uv_idle` handle that keeps the loop turning while either is wanted.
//!
//! The calls go through `napi_make_callback` (`delivery::deliver_now`), so ticks run
//! afterwards as after any Node I/O callback.

use std::cell::Cell;
use std::ffi::c_void;
use std::io;

use napi_derive::napi;

use crate::driver::in_loop;
use crate::napi::delivery::deliver_now;
use crate::napi::env;
use crate::sys::uv::*;

/// Rounds of events queued during a delivery that are delivered right after it.
const FOLLOW_UPS: usize = 8;
/// Completions delivered per check phase at most; more wait for the next turn.
const MAX_COMPLETIONS: usize = 1024;

/// The loop-phase handles of one environment (one per JS thread) and what JS asked of them.
pub struct LoopPhases {
    /// Delivers the turn's events after the poll phase.
    check: Cell<*mut Handle>,
    /// Keeps the loop turning while a completion or the next turn is wanted.
    idle: Cell<*mut Handle>,
    /// Calls JS back at the start of the next loop turn (`request_next_turn`).
    prepare: Cell<*mut Handle>,
    /// JS asked for a completion call (`request_completion`).
    completions_wanted: Cell<bool>,
    /// JS asked to be called at the start of the next loop turn.
    turn_wanted: Cell<bool>,
}

impl LoopPhases {
    pub fn new() -> LoopPhases {
        LoopPhases {
            check: Cell::new(std::ptr::null_mut()),
            idle: Cell::new(std::ptr::null_mut()),
            prepare: Cell::new(std::ptr::null_mut()),
            completions_wanted: Cell::new(false),
            turn_wanted: Cell::new(false),
        }
    }

    /// Starts the check handle and makes the idle and prepare handles. Called once
    /// per environment.
    ///
    /// # Safety
    /// `event_loop` must be the libuv loop of the calling thread (Node's loop of this
    /// JS thread), and this libuv's `uv_check_t`, `uv_idle_t` and `uv_prepare_t` must
    /// fit in a [`Handle`].
    pub unsafe fn start(&self, event_loop: *mut c_void) -> io::Result<()> {
        let check = Handle::boxed(std::ptr::null_mut());
        // SAFETY: on the loop's thread, with a fresh box big enough for a `uv_check_t`
        // (this fn's contract), kept unmoved until `stop` closes it. uv_check_start
        // fails only for a null callback (libuv's loop-watcher.c), so a failure here is
        // uv_check_init's, which leaves the handle off the loop: the box is ours to free.
        unsafe {
            if uv_check_init(event_loop, check) != 0 || uv_check_start(check, on_check) != 0 {
                drop(Box::from_raw(check));
                return Err(io::ErrorKind::Other.into());
            }
            // It must never keep the loop alive by itself.
            uv_unref(check);
        }
        self.check.set(check);
        let idle = Handle::boxed(std::ptr::null_mut());
        // SAFETY: as for the check handle: the loop's thread, a fresh box that fits.
        if unsafe { uv_idle_init(event_loop, idle) } != 0 {
            // SAFETY: a failed init leaves the handle off the loop; the box is still ours.
            drop(unsafe { Box::from_raw(idle) });
            return Err(io::ErrorKind::Other.into());
        }
        self.idle.set(idle);
        let prepare = Handle::boxed(std::ptr::null_mut());
        // SAFETY: as for the check handle: the loop's thread, a fresh box that fits.
        if unsafe { uv_prepare_init(event_loop, prepare) } != 0 {
            // SAFETY: a failed init leaves the handle off the loop; the box is still ours.
            drop(unsafe { Box::from_raw(prepare) });
            return Err(io::ErrorKind::Other.into());
        }
        self.prepare.set(prepare);
        Ok(())
    }

    /// Environment teardown: closes the three handles.
    pub fn stop(&self) {
        for handle in [&self.check, &self.idle, &self.prepare] {
            let handle = handle.replace(std::ptr::null_mut());
            if !handle.is_null() {
                // SAFETY: the environment's cleanup hook runs on its JS thread, the
                // loop's. A non-null handle here is one `start` made and left open
                // (taken out above, so closed once; closing also stops it); its `data`
                // owns nothing, so `free_handle` is its close callback.
                unsafe { uv_close(handle, free_handle) };
            }
        }
        self.completions_wanted.set(false);
        self.turn_wanted.set(false);
    }

    /// Stops the idle handle: nothing is wanted of the next turn.
    fn stop_idle(&self) {
        let idle = self.idle.get();
        if !idle.is_null() {
            // SAFETY: a non-null idle is this thread's open idle handle (`stop` nulls
            // it before closing it), and we run on its loop's thread: from a loop
            // callback, or from a napi call on the JS thread.
            unsafe { uv_idle_stop(idle) };
        }
    }

    /// Starts the idle handle: while it is active, the loop stays alive and its poll
    /// phase does not block, so the check and prepare handles come round at once.
    fn keep_turning(&self) {
        let idle = self.idle.get();
        if !idle.is_null() {
            // SAFETY: called from napi exports, so on the JS thread, the loop's; a
            // non-null idle is this thread's open idle handle (`stop` nulls it before
            // closing it). Starting an active idle handle again does nothing.
            unsafe { uv_idle_start(idle, on_idle) };
        }
    }
}

impl Default for LoopPhases {
    fn default() -> Self {
        LoopPhases::new()
    }
}

/// After the poll phase: everything read this turn, behind anything queued before,
/// then the requests JS completes after the turn's I/O. Runs under both drivers (the
/// threaded one reads nothing here; it only completes requests). It dereferences no
/// pointer, so it is a safe function (libuv calls it on the loop's thread).
extern "C" fn on_check(_: *mut Handle) {
    crate::sys::uv::guard("on_check", || {
        let Some(env) = env::current() else { return };
        complete_requests(&env.phases);
        let reads = in_loop::take_turn();
        if reads.is_empty() {
            return;
        }
        let channel = &env.channel;
        let mut batch = channel.take_now();
        // Usually nothing was queued: the reads are the batch, with no copy.
        if batch.is_empty() {
            batch = reads;
        } else {
            batch.extend(reads);
        }
        deliver_now(batch, false);
        for _ in 0..FOLLOW_UPS {
            let more = channel.take_now();
            if more.is_empty() {
                break;
            }
            deliver_now(more, false);
        }
        complete_requests(&env.phases);
    });
}

/// Delivers one empty batch per request JS completes itself (a FIN sent at once):
/// JS runs one completion per call, so each is a callback of its own whose ticks run
/// before the next, as libuv's pending queue runs them.
fn complete_requests(phases: &LoopPhases) {
    for _ in 0..MAX_COMPLETIONS {
        if !phases.completions_wanted.replace(false) {
            break;
        }
        deliver_now(Vec::new(), false);
    }
    if !phases.completions_wanted.get() && !phases.turn_wanted.get() {
        phases.stop_idle();
    }
}

/// JS has a request to complete after this turn's I/O; the check handle delivers the
/// call that completes it. Until then an idle handle keeps the loop alive and its poll
/// phase from blocking, as libuv's pending request would.
#[napi]
pub fn request_completion() {
    let Some(env) = env::current() else { return };
    if !env.phases.completions_wanted.replace(true) {
        env.phases.keep_turning();
    }
}

/// Nothing to do: an active idle handle is what matters (see `request_completion`).
extern "C" fn on_idle(_: *mut Handle) {}

/// JS holds events for the next loop turn (libuv's read rhythm): the prepare handle
/// calls it back at the start of the next turn, right before the poll phase, so after
/// this turn's `setImmediate` callbacks and close phase, where libuv's next reads
/// come. The idle handle keeps the loop turning meanwhile (a request made in the
/// prepare phase itself must not leave the poll phase blocked).
#[napi]
pub fn request_next_turn() {
    let Some(env) = env::current() else { return };
    let phases = &env.phases;
    phases.turn_wanted.set(true);
    phases.keep_turning();
    let prepare = phases.prepare.get();
    if !prepare.is_null() {
        // SAFETY: a napi export, so on the JS thread, the loop's; a non-null prepare is
        // this thread's open prepare handle (`stop` nulls it before closing it).
        // Starting an active prepare handle again does nothing.
        unsafe { uv_prepare_start(prepare, on_prepare) };
    }
}

/// # Safety
/// libuv calls it on the loop's thread with the handle `start` made.
unsafe extern "C" fn on_prepare(prepare: *mut Handle) {
    crate::sys::uv::guard("on_prepare", || {
        // SAFETY: libuv passes the live prepare handle of this thread's loop.
        unsafe { uv_prepare_stop(prepare) };
        let Some(env) = env::current() else { return };
        env.phases.turn_wanted.set(false);
        if !env.phases.completions_wanted.get() {
            env.phases.stop_idle();
        }
        deliver_now(Vec::new(), true);
    });
}
