//! The calls into JavaScript: every batch of events reaches JS's `dispatch` from here.
//!
//! Two paths, one batch format (`batch`): the threadsafe function's callback, when a
//! runtime thread queued events on the channel (the threaded driver's reads; connects
//! and other runtime work under both), and [`deliver_now`], from a libuv callback on
//! the JS thread (the in-loop driver's reads; under both drivers, the completions of
//! the check phase).
//!
//! Teardown: the environment's cleanup hook (registered after the TSFN, so it runs
//! before Node's own TSFN cleanup) shuts the channel, releases the TSFN, stops the
//! loop's handles and closes every native handle of the environment.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use napi::{sys, Env, JsFunction, NapiRaw};
use napi_derive::napi;

use crate::core::event::Event;
use crate::driver::threaded::{Channel, Tsfn};
use crate::driver::{in_loop, Driver};
use crate::napi::batch;
use crate::napi::env::{self, Direct, Environment};
use crate::napi::loop_phases::LoopPhases;
use crate::napi::read_memory;
use crate::sys::loop_turn;
use crate::sys::napi_raw::{self, check};

/// Delivers `events` to JS now, from a libuv callback on the JS thread (the in-loop
/// driver's reads; the check phase's completions under both drivers).
pub fn deliver_now(events: Vec<Event>, next_turn: bool) {
    // Copy out and release the borrow: JS may call back into rsnet (ref/unref...).
    let Some(direct) = env::current().map(|e| e.direct) else {
        return;
    };
    // SAFETY: libuv callbacks run on the loop's thread, and `env::current` is this
    // thread's own environment (thread-local), still set up: `direct.env` is the env
    // of this very JS thread, and `direct.uv_loop` its loop. Outside any napi call, so a scope is opened for the
    // batch's values and closed after. `direct.dispatch` is a strong reference and
    // `direct.context` an async context that live as long as the environment
    // (`direct_delivery`). A libuv callback never runs while JS runs on its thread, as
    // `batch::dispatch` needs.
    unsafe {
        let mut scope = ptr::null_mut();
        if sys::napi_open_handle_scope(direct.env, &mut scope) != sys::Status::napi_ok {
            return;
        }
        let mut dispatch = ptr::null_mut();
        sys::napi_get_reference_value(direct.env, direct.dispatch, &mut dispatch);
        let loop_count = loop_turn::of_loop(direct.uv_loop);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            batch::dispatch(
                direct.env,
                dispatch,
                events,
                Some(direct.context),
                loop_count,
                next_turn,
            )
        }));
        if !matches!(outcome, Ok(Ok(()))) {
            napi_raw::raise(direct.env, "rsnet: event dispatch failed");
        }
        sys::napi_close_handle_scope(direct.env, scope);
    }
}

/// Connects this environment to rsnet: `dispatch(records, objects, block)` receives
/// every batch of events (layout in `batch`). Called once per environment.
#[napi]
pub fn init(env: Env, dispatch: JsFunction) -> napi::Result<()> {
    if env::is_set_up() {
        return Err(napi::Error::from_reason("rsnet: init() called twice"));
    }
    let channel = Arc::new(Channel::new());
    let raw_env = env.raw();
    let mut tsfn = ptr::null_mut();
    // SAFETY: a napi export, so on env's JS thread inside napi-rs's scope, with
    // `dispatch` a function of that scope. The TSFN is given one strong count of the
    // channel as its context and finalize data, which `finalize_channel` gives back
    // once; on failure napi made no TSFN, and that count is leaked, never freed twice.
    unsafe {
        let name = napi_raw::string(raw_env, "rsnet")?;
        // The TSFN owns one strong count of the channel; its finalizer drops it.
        let context = Arc::into_raw(channel.clone()) as *mut c_void;
        check(sys::napi_create_threadsafe_function(
            raw_env,
            dispatch.raw(),
            ptr::null_mut(),
            name,
            0,
            1,
            context,
            Some(finalize_channel),
            context,
            Some(deliver),
            &mut tsfn,
        ))?;
        check(sys::napi_unref_threadsafe_function(raw_env, tsfn))?;
    }
    channel.set_tsfn(Tsfn(tsfn));
    // Registered after the TSFN exists, so it runs before Node's own TSFN cleanup.
    let hook_arg = Arc::into_raw(channel.clone()) as *mut c_void;
    // SAFETY: on env's JS thread (a napi export). The hook owns one strong count of the
    // channel, which `cleanup`, run once by Node at the environment's teardown, takes.
    unsafe {
        check(sys::napi_add_env_cleanup_hook(
            raw_env,
            Some(cleanup),
            hook_arg,
        ))?
    };
    let direct = direct_delivery(raw_env, &dispatch)?;
    let phases = LoopPhases::new();
    // SAFETY: `direct.uv_loop` is this JS thread's own loop (`direct_delivery`). That
    // its `uv_check_t`, `uv_idle_t` and `uv_prepare_t` fit in a `uv::Handle` is not
    // checked at run time (unlike the poll and timer handles, which `Driver::chosen`
    // checks): it rests on libuv 1.x's stable ABI, whose loop-watcher handles are about
    // half of `uv::Handle`'s 256 bytes.
    unsafe { phases.start(direct.uv_loop) }
        .map_err(|_| napi::Error::from_reason("rsnet: could not start the loop driver"))?;
    in_loop::start(direct.uv_loop);
    read_memory::start();
    let driver = Driver::chosen(direct.uv_loop);
    env::set_up(Environment::new(channel, driver, direct, phases));
    Ok(())
}

/// Keeps what delivery from libuv callbacks needs to call `dispatch`. They live
/// as long as the environment (never released: one each per environment).
fn direct_delivery(env: sys::napi_env, dispatch: &JsFunction) -> napi::Result<Direct> {
    let mut direct = Direct {
        env,
        dispatch: ptr::null_mut(),
        context: ptr::null_mut(),
        uv_loop: ptr::null_mut(),
    };
    // SAFETY: called from `init`, on env's JS thread inside its scope, with `dispatch`
    // a value of that scope; the reference (count 1) and the async context outlive it
    // (never released, see above).
    unsafe {
        check(sys::napi_create_reference(
            env,
            dispatch.raw(),
            1,
            &mut direct.dispatch,
        ))?;
        let mut resource = ptr::null_mut();
        check(sys::napi_create_object(env, &mut resource))?;
        let name = napi_raw::string(env, "rsnet:read")?;
        check(sys::napi_async_init(
            env,
            resource,
            name,
            &mut direct.context,
        ))?;
        let mut uv_loop = ptr::null_mut();
        check(sys::napi_get_uv_event_loop(env, &mut uv_loop))?;
        direct.uv_loop = uv_loop.cast();
    }
    Ok(direct)
}

/// TSFN callback on the JS thread: drains the queue into one JS call.
///
/// # Safety
/// Only napi calls it, as the call_js callback of the TSFN made by `init`: on the JS
/// thread of `env`, inside a handle scope, with that TSFN's `context`.
unsafe extern "C" fn deliver(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    context: *mut c_void,
    _: *mut c_void,
) {
    // env is null while Node tears the TSFN down: nothing may run then.
    if env.is_null() || js_cb.is_null() {
        return;
    }
    // SAFETY: `context` is the `Arc<Channel>` count the TSFN owns (`init`); it is
    // dropped only by `finalize_channel`, which napi runs after the TSFN's last call.
    let channel = unsafe { &*(context as *const Channel) };
    let events = channel.take(Vec::new());
    if events.is_empty() {
        return;
    }
    // A panic must never unwind into Node: report it as an uncaught JS error instead.
    // SAFETY: napi calls this on env's JS thread.
    let turn = unsafe { loop_turn::current(env) };
    let loop_count = (turn >= 0.0).then_some(turn as u64);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: napi calls this on env's JS thread inside a scope, with `js_cb` the
        // TSFN's function (`dispatch`), non-null (checked above).
        unsafe { batch::dispatch(env, js_cb, events, None, loop_count, second_in_turn(turn)) }
    }));
    let message = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(err)) => format!("rsnet: event dispatch failed: {err}"),
        Err(_) => "rsnet: internal panic while dispatching events".to_owned(),
    };
    // SAFETY: on env's JS thread, inside napi's scope for this callback.
    unsafe { napi_raw::raise(env, &message) };
}

/// Whether a threadsafe-function delivery comes in the same loop turn as the one
/// before it. libuv polls once per turn, so what a runtime thread read while JS ran
/// this turn's callbacks (the answer to a write just made) reaches JS on the next
/// turn; JS holds such a batch until then. `turn` is the JS thread's loop turn now
/// (`loop_turn::current`, -1 where libuv does not count them).
fn second_in_turn(turn: f64) -> bool {
    let Some(state) = env::current() else {
        return false;
    };
    turn >= 0.0 && state.last_turn.replace(turn) == turn
}

/// The TSFN's finalizer: gives back its count of the channel.
///
/// # Safety
/// Only napi calls it, once, with the finalize data `init` gave the TSFN.
unsafe extern "C" fn finalize_channel(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Arc::into_raw` count `init` gave the TSFN, given back once.
    drop(unsafe { Arc::from_raw(data as *const Channel) });
}

/// The environment's cleanup hook.
///
/// # Safety
/// Only Node calls it, once, on the environment's JS thread at its teardown, with the
/// `arg` `init` registered.
unsafe extern "C" fn cleanup(arg: *mut c_void) {
    // SAFETY: `arg` is the `Arc::into_raw` count `init` gave the hook; Node runs a
    // hook once, so it is taken back once.
    let channel = unsafe { Arc::from_raw(arg as *const Channel) };
    if let Some(tsfn) = channel.shut() {
        // SAFETY: `shut` hands the TSFN out once, under the channel's lock, after which
        // no thread calls it any more; the TSFN is still alive, since Node's own
        // TSFN cleanup runs after this hook (registered after the TSFN).
        unsafe {
            sys::napi_release_threadsafe_function(tsfn.0, sys::ThreadsafeFunctionReleaseMode::abort)
        };
    }
    // Polls stop before the fds they watch are closed.
    if let Some(state) = env::current() {
        state.phases.stop();
    }
    in_loop::stop();
    channel.registry.close_all();
    batch::reset();
    read_memory::reset();
    env::tear_down();
}
