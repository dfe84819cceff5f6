//! The memory bulk reads made on the JS thread land in (the in-loop driver's; see
//! `StreamCore::read_step_on_js_thread`): Buffers of `READ_SIZE` bytes that Node
//! allocates, as libuv's reads in Node land in memory of its own Buffers. A large
//! chunk is handed to JS as the Buffer it was read into: no copy, and, unlike an
//! external Buffer over Rust memory, no weak handle, finalizer or cross-thread free
//! per chunk, and memory V8 accounts as its own (external Buffers kept pushing V8
//! into full garbage collections during a bulk transfer). A smaller chunk is copied
//! out when it is delivered, and its region read into again.
//!
//! One spare region per JS thread waits for the next bulk read; a read moves it to
//! the lent list, where `batch::dispatch` finds it by its address when it delivers the
//! chunk. A strong reference keeps each region alive until then, and a few regions
//! whose chunks were copied out wait to be read into again.

use std::cell::RefCell;
use std::ptr;

use napi::sys;

use crate::core::stream::{self, JsReadMemory, READ_SIZE};
use crate::napi::env;
use crate::sys::napi_raw::check;

/// A Buffer native code reads into, held by a strong reference.
struct ReadRegion {
    reference: sys::napi_ref,
    data: *mut u8,
}

#[derive(Default)]
struct Regions {
    spare: Option<ReadRegion>,
    /// Regions holding a chunk on its way to JS, oldest first.
    lent: Vec<ReadRegion>,
    /// Regions whose chunk was copied out, to be read into again.
    free: Vec<ReadRegion>,
}

/// Regions kept for reuse beyond the spare one (a turn that read several sockets
/// copied out several chunks).
const MAX_FREE: usize = 4;

thread_local! {
    // Per JS thread, so per environment; `reset` forgets it at the teardown.
    static REGIONS: RefCell<Regions> = RefCell::new(Regions::default());
}

/// Registers this module with the stream layer. Called once per environment.
pub fn start() {
    stream::set_js_read_memory(JsReadMemory { spare, lend });
}

/// Forgets this environment's regions (their references go with the environment).
pub fn reset() {
    REGIONS.with(|regions| *regions.borrow_mut() = Regions::default());
}

/// The spare region's memory, made on first use; null when none can be made.
fn spare() -> *mut u8 {
    REGIONS.with(|regions| {
        let mut regions = regions.borrow_mut();
        if regions.spare.is_none() {
            regions.spare = regions.free.pop().or_else(new_region);
        }
        regions.spare.as_ref().map_or(ptr::null_mut(), |r| r.data)
    })
}

/// The spare region at `data` now holds a chunk for JS.
fn lend(data: *mut u8) {
    REGIONS.with(|regions| {
        let mut regions = regions.borrow_mut();
        match regions.spare.take() {
            Some(region) if region.data == data => regions.lent.push(region),
            other => regions.spare = other,
        }
    })
}

/// A new Buffer of READ_SIZE bytes (uninitialised) and its reference, made on this
/// JS thread in a handle scope of its own (a libuv callback has none open).
fn new_region() -> Option<ReadRegion> {
    let env = env::current()?.direct.env;
    // SAFETY: `env::current` is this JS thread's own environment, still set up, and
    // this runs on that thread outside JS (a libuv callback of its loop), where napi
    // calls are allowed inside a scope opened here. The reference keeps the Buffer
    // (and its memory, which V8 never moves) alive after the scope closes.
    unsafe {
        let mut scope = ptr::null_mut();
        check(sys::napi_open_handle_scope(env, &mut scope)).ok()?;
        let mut data = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        let mut reference = ptr::null_mut();
        let made = check(sys::napi_create_buffer(
            env,
            READ_SIZE,
            &mut data,
            &mut buffer,
        ))
        .and_then(|()| check(sys::napi_create_reference(env, buffer, 1, &mut reference)));
        sys::napi_close_handle_scope(env, scope);
        made.ok()?;
        Some(ReadRegion {
            reference,
            data: data.cast(),
        })
    }
}

/// The lent region a chunk starting at `data` was read into, out of the lent list.
fn take(data: *const u8) -> Option<ReadRegion> {
    REGIONS.with(|regions| {
        let mut regions = regions.borrow_mut();
        let at = regions
            .lent
            .iter()
            .position(|r| r.data.cast_const() == data)?;
        Some(regions.lent.remove(at))
    })
}

/// The Buffer a chunk starting at `data` was read into (its READ_SIZE bytes: JS cuts
/// the chunk's length out of it), its reference released; None if no lent region
/// starts there (a chunk read elsewhere).
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
pub unsafe fn hand_over(
    env: sys::napi_env,
    data: *const u8,
) -> Option<napi::Result<sys::napi_value>> {
    let region = take(data)?;
    let mut buffer = ptr::null_mut();
    // SAFETY: this fn's contract; the reference was made in this environment by
    // `new_region` and is deleted once (the region left the lists). Nothing reads
    // the region's memory after that unless JS holds the Buffer.
    unsafe {
        let got = check(sys::napi_get_reference_value(
            env,
            region.reference,
            &mut buffer,
        ));
        sys::napi_delete_reference(env, region.reference);
        Some(got.map(|()| buffer))
    }
}

/// The chunk starting at `data` was copied out: if it was read into a lent region
/// (which JS never saw), that region may be read into again. Nothing otherwise.
///
/// # Safety
/// Must run on the JS thread of `env`.
pub unsafe fn reuse(env: sys::napi_env, data: *const u8) {
    let Some(region) = take(data) else { return };
    let dropped = REGIONS.with(|regions| {
        let mut regions = regions.borrow_mut();
        if regions.spare.is_none() {
            regions.spare = Some(region);
        } else if regions.free.len() < MAX_FREE {
            regions.free.push(region);
        } else {
            return Some(region);
        }
        None
    });
    if let Some(region) = dropped {
        // SAFETY: this fn's contract; the reference is this environment's, deleted once
        // (the region left the lists); V8 frees the Buffer, which JS never saw.
        unsafe { sys::napi_delete_reference(env, region.reference) };
    }
}
