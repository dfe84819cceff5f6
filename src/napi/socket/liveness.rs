//! A socket handle's liveness, as libuv counts a stream's: whether it holds the
//! event loop open, kept per JS thread by handle id.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use napi::Env;

use crate::napi::env;

/// A handle's liveness, as libuv counts a stream: it keeps the event loop alive while
/// ref'd and reading, and while a connect, write or shutdown is in flight (ref'd or
/// not). Requests are counted here both ways: up when a verb starts one, down when
/// the batch encoder hands JS its completion (`settle`), so JS never calls back to
/// settle them.
#[derive(Default)]
pub(super) struct Liveness {
    pub(super) refed: Cell<bool>,
    pub(super) reading: Cell<bool>,
    /// A connect was started and its outcome is not yet on its way to JS.
    pub(super) connecting: Cell<bool>,
    pub(super) in_flight: Cell<u32>,
    /// Whether this handle is currently counted in the environment's ref count.
    pub(super) counted: Cell<bool>,
}

thread_local! {
    // The open handles' liveness by id, per JS thread (so per environment), for the
    // handles' verbs and for `settle`. A handle is in it from its creation until it
    // closes or is collected; a closed handle has none, and counts nothing. Held here
    // by value, not shared with the handle: one allocation fewer per connection.
    pub(super) static LIVENESS: RefCell<HashMap<u32, Liveness>> = RefCell::new(HashMap::new());
}

/// Runs `f` on the liveness of open handle `id`; None once it closed.
pub(super) fn with_liveness<T>(id: u32, f: impl FnOnce(&Liveness) -> T) -> Option<T> {
    // `f` never calls into JS (`Liveness::sync` refs and unrefs the TSFN only), so
    // nothing can borrow the map again meanwhile.
    LIVENESS.with(|map| map.borrow().get(&id).map(f))
}

/// A completion of `n` requests of handle `id` (a write, a shutdown, or with
/// `connected` the connect) is being handed to JS: they are no longer in flight. A
/// handle closed meanwhile has nothing left to count.
///
/// # Safety
/// Must run on the JS thread of `env` (`batch::dispatch`).
pub unsafe fn settle(env: napi::sys::napi_env, id: u32, n: u32, connected: bool) {
    // SAFETY: this fn's contract (env's JS thread), which `sync` needs of its Env.
    let env = unsafe { Env::from_raw(env) };
    with_liveness(id, |live| {
        if connected {
            live.connecting.set(false);
        }
        live.in_flight.set(live.in_flight.get().saturating_sub(n));
        live.sync(&env);
    });
}

impl Liveness {
    /// Brings this handle's share of the environment's ref count up to date.
    pub(super) fn sync(&self, env: &Env) {
        // As libuv: an active handle (reading) holds the loop only while ref'd, but a
        // request in flight (connect, write, shutdown) holds it even when unref'd, so
        // `end(data); unref()` still delivers everything.
        let counted = (self.refed.get() && self.reading.get()) || self.in_flight.get() > 0;
        if counted != self.counted.replace(counted) {
            if counted {
                env::retain(env);
            } else {
                env::release(env);
            }
        }
    }
}
