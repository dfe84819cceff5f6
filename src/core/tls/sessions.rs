//! The client sessions of this process, by name. rustls keeps a session's secrets to
//! itself (no bytes out, no bytes in), so what JS holds as a session (the Buffer of
//! `'session'`, `getSession()`, the `session` option) is its name here: 24 bytes,
//! `MAGIC | this process's nonce | number`. A name from another process, or from
//! Node's own TLS, is not found, and resumes nothing.
//!
//! A TLS 1.3 ticket is offered once (rustls's values of it cannot be copied; servers
//! may refuse a ticket seen twice anyway), a TLS 1.2 session as often as asked.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use ring::rand::{SecureRandom, SystemRandom};
use rustls::client::{Tls12ClientSessionValue, Tls13ClientSessionValue};

const MAGIC: &[u8; 8] = b"rsnetSes";
pub const NAME_LEN: usize = 24;
/// Sessions kept, the oldest forgotten first: each holds the server's chain (a few KB).
/// Every client connection adds its server's tickets (two from OpenSSL and rustls), so
/// this outlasts Node's https Agent's cache of 100 sessions for some while.
const CAPACITY: usize = 512;

pub enum Stored {
    Tls12(Tls12ClientSessionValue),
    Tls13(Tls13ClientSessionValue),
}

struct Registry {
    nonce: [u8; 8],
    next: u64,
    sessions: BTreeMap<u64, Stored>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut nonce = [0u8; 8];
            // Without randomness the nonce stays zero: names still work in-process.
            let _ = SystemRandom::new().fill(&mut nonce);
            Mutex::new(Registry {
                nonce,
                next: 0,
                sessions: BTreeMap::new(),
            })
        })
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Keeps a new session; returns its name.
pub fn put(stored: Stored) -> Vec<u8> {
    let mut registry = registry();
    registry.next += 1;
    let number = registry.next;
    registry.sessions.insert(number, stored);
    while registry.sessions.len() > CAPACITY {
        registry.sessions.pop_first();
    }
    let mut name = Vec::with_capacity(NAME_LEN);
    name.extend_from_slice(MAGIC);
    name.extend_from_slice(&registry.nonce);
    name.extend_from_slice(&number.to_le_bytes());
    name
}

/// The session named `name`, to offer: a TLS 1.3 ticket leaves the registry.
pub fn take(name: &[u8]) -> Option<Stored> {
    let mut registry = registry();
    let number = number_of(name, &registry.nonce)?;
    match registry.sessions.get(&number)? {
        Stored::Tls12(value) => Some(Stored::Tls12(value.clone())),
        Stored::Tls13(_) => registry.sessions.remove(&number),
    }
}

/// Whether `name` is a session name made by this process (JS asks, to tell a
/// session of Node's own TLS, which rustls cannot use, from one of rsnet's).
pub fn is_ours(name: &[u8]) -> bool {
    number_of(name, &registry().nonce).is_some()
}

fn number_of(name: &[u8], nonce: &[u8; 8]) -> Option<u64> {
    if name.len() != NAME_LEN || &name[..8] != MAGIC || &name[8..16] != nonce {
        return None;
    }
    Some(u64::from_le_bytes(name[16..].try_into().ok()?))
}
