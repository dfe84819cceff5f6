//! The memory bulk reads made on the JS thread land in (the in-loop driver's; see
//! `StreamCore::read_step_on_js_thread`): Buffers of `READ_SIZE` bytes, or of
//! `BIG_READ_SIZE` for a socket whose last read found that much or more, that Node
//! allocates, as libuv's reads in Node land in memory of its own Buffers. A large
//! chunk is handed to JS as the Buffer it was read into: no copy, and, unlike an
//! external Buffer over Rust memory, no weak handle, finalizer or cross-thread free
//! per chunk, and memory V8 accounts as its own (external Buffers kept pushing V8
//! into full garbage collections during a bulk transfer). A chunk that fills less than
//! half of a big region is copied out instead, so that a kept chunk never pins more
//! than twice its size; so is a smaller chunk, when it is delivered. A region copied
//! out of is read into again.
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
    /// The Buffer's size.
    len: usize,
    /// Bytes of the chunk it holds while lent.
    used: usize,
}

#[derive(Default)]
struct Regions {
    spare: Option<ReadRegion>,
    /// Regions holding a chunk on its way to JS, oldest first.
    lent: Vec<ReadRegion>,
    /// Regions whose chunk was copied out, to be read into again.
    free: Vec<ReadRegion>,
}

/// Bytes of regions kept for reuse beyond the spare one (a turn that read several
/// sockets copied out several chunks): two big regions, or eight small ones.
const MAX_FREE_BYTES: usize = 2 * stream::BIG_READ_SIZE;

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

/// The memory of a spare region of `len` bytes, made on first use; null when none can
/// be made.
fn spare(len: usize) -> *mut u8 {
    let (data, dropped) = REGIONS.with(|regions| {
        let mut regions = regions.borrow_mut();
        let mut dropped = None;
        if regions.spare.as_ref().is_some_and(|r| r.len != len) {
            let other = regions.spare.take();
            dropped = other.and_then(|r| regions.keep_free(r));
        }
        if regions.spare.is_none() {
            let at = regions.free.iter().position(|r| r.len == len);
            regions.spare = match at {
                Some(at) => Some(regions.free.swap_remove(at)),
                None => new_region(len),
            };
        }
        let data = regions.spare.as_ref().map_or(ptr::null_mut(), |r| r.data);
        (data, dropped)
    });
    if let Some(region) = dropped {
        release(region);
    }
    data
}

impl Regions {
    /// Keeps a region in the free list if there is room; returns it otherwise.
    fn keep_free(&mut self, region: ReadRegion) -> Option<ReadRegion> {
        let free: usize = self.free.iter().map(|r| r.len).sum();
        if free + region.len > MAX_FREE_BYTES {
            return Some(region);
        }
        self.free.push(region);
        None
    }

    /// Keeps a region whose chunk was copied out to be read into again: as the spare
    /// one if there is none, else in the free list if there is room; returns it
    /// otherwise.
    fn keep(&mut self, region: ReadRegion) -> Option<ReadRegion> {
        if self.spare.is_none() {
            self.spare = Some(region);
            return None;
        }
        self.keep_free(region)
    }
}

/// The spare region at `data` now holds a chunk of `used` bytes for JS.
fn lend(data: *mut u8, used: usize) {
    REGIONS.with(|regions| {
        let mut regions = regions.borrow_mut();
        match regions.spare.take() {
            Some(mut region) if region.data == data => {
                region.used = used;
                regions.lent.push(region)
            }
            other => regions.spare = other,
        }
    })
}

/// Lets V8 free a region no list keeps (JS never saw its Buffer).
fn release(region: ReadRegion) {
    if let Some(env) = env::current() {
        // SAFETY: on this JS thread, whose environment made the reference
        // (`new_region`); the region left every list, so it is deleted once.
        unsafe { sys::napi_delete_reference(env.direct.env, region.reference) };
    }
}

/// A new Buffer of `len` bytes (uninitialised) and its reference, made on this JS
/// thread in a handle scope of its own (a libuv callback has none open).
fn new_region(len: usize) -> Option<ReadRegion> {
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
        let made = check(sys::napi_create_buffer(env, len, &mut data, &mut buffer))
            .and_then(|()| check(sys::napi_create_reference(env, buffer, 1, &mut reference)));
        sys::napi_close_handle_scope(env, scope);
        made.ok()?;
        Some(ReadRegion {
            reference,
            data: data.cast(),
            len,
            used: 0,
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

/// The Buffer for a chunk starting at `data` that was read into a lent region, or
/// None if no lent region starts there (a chunk read elsewhere). That is the region's
/// own Buffer (JS cuts the chunk's length out of it), its reference released; or, for
/// a chunk that fills less than half of a big region, a copy of the chunk, and the
/// region is read into again.
///
/// # Safety
/// Must run on the JS thread of `env`, inside a handle scope.
pub unsafe fn hand_over(
    env: sys::napi_env,
    data: *const u8,
) -> Option<napi::Result<sys::napi_value>> {
    let region = take(data)?;
    if region.len > READ_SIZE && region.used * 2 < region.len {
        // SAFETY: this fn's contract; `used` bytes at `data` were written by read(2)
        // into the region, which is alive (its reference) and not read into meanwhile.
        let copy = unsafe { copy_out(env, &region) };
        // SAFETY: this fn's contract; the region left the lent list above.
        unsafe { keep_or_release(env, region) };
        return Some(copy);
    }
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

/// A Buffer of its own holding a copy of the chunk in `region`.
///
/// # Safety
/// On the JS thread of `env`, inside a handle scope; `region` holds `used` bytes read.
unsafe fn copy_out(env: sys::napi_env, region: &ReadRegion) -> napi::Result<sys::napi_value> {
    let mut copy = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    // SAFETY: this fn's contract: `region.data` holds `used` initialised bytes.
    check(unsafe {
        sys::napi_create_buffer_copy(
            env,
            region.used,
            region.data.cast_const().cast(),
            &mut copy,
            &mut buffer,
        )
    })?;
    Ok(buffer)
}

/// The chunk starting at `data` was copied out: if it was read into a lent region
/// (which JS never saw), that region may be read into again. Nothing otherwise.
///
/// # Safety
/// Must run on the JS thread of `env`.
pub unsafe fn reuse(env: sys::napi_env, data: *const u8) {
    let Some(region) = take(data) else { return };
    // SAFETY: this fn's contract; the region left the lent list.
    unsafe { keep_or_release(env, region) };
}

/// Keeps a region JS never saw for the next reads, or lets V8 free it.
///
/// # Safety
/// On the JS thread of `env`, with a region out of every list.
unsafe fn keep_or_release(env: sys::napi_env, region: ReadRegion) {
    let dropped = REGIONS.with(|regions| regions.borrow_mut().keep(region));
    if let Some(region) = dropped {
        // SAFETY: this fn's contract; the reference is this environment's, deleted once
        // (the region left the lists); V8 frees the Buffer, which JS never saw.
        unsafe { sys::napi_delete_reference(env, region.reference) };
    }
}
