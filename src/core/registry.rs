//! The native handles of one environment, so its teardown can close them all: a worker
//! that exits must not leave its sockets open, nor touch another environment's.

use std::collections::HashMap;
use std::sync::{Mutex, Weak};

/// A native handle that can be closed from the environment's cleanup hook.
pub trait Closable: Send + Sync {
    fn close(&self);
}

#[derive(Default)]
pub struct Registry {
    live: Mutex<HashMap<u32, Weak<dyn Closable>>>,
}

impl Registry {
    pub fn insert(&self, id: u32, handle: Weak<dyn Closable>) {
        self.lock().insert(id, handle);
    }

    pub fn remove(&self, id: u32) {
        self.lock().remove(&id);
    }

    pub fn close_all(&self) {
        let live: Vec<_> = self.lock().drain().map(|(_, handle)| handle).collect();
        for handle in live.iter().filter_map(Weak::upgrade) {
            handle.close();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Weak<dyn Closable>>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Handle ids are unique across environments, so a late event can never reach the
/// wrong handle.
pub fn next_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    // Wraps only after 2^31 handles; JS stores ids as int32.
    NEXT.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff
}
