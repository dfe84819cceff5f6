//! A server's session tickets, sealed with 48 bytes of keys JS can read and replace
//! (`server.getTicketKeys()` / `setTicketKeys()`), as Node's servers can: two servers
//! given the same keys (the workers of a cluster) resume each other's sessions.
//! rustls's own `Ticketer` makes and rotates keys nobody can see.
//!
//! Node's 48 bytes are OpenSSL's key name (16), HMAC key (16) and AES key (16). Here
//! the first 16 name the keys (a ticket sealed under other keys is skipped at once)
//! and the other 32 are one ChaCha20-Poly1305 key. Only rsnet servers read rsnet
//! tickets, so the format need not be OpenSSL's:
//! `name (16) | nonce (12) | sealed state and its tag`.

use std::sync::RwLock;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use rustls::server::ProducesTickets;

/// Node's length of a server's ticket keys.
pub const KEYS_LEN: usize = 48;
const NAME_LEN: usize = 16;

/// How long a client may keep a ticket, in seconds: Node's default `sessionTimeout`.
const LIFETIME_SECS: u32 = 300;

/// One server context's ticket keys, shared by every connection made with it.
pub struct TicketKeys {
    current: RwLock<Keys>,
}

struct Keys {
    raw: [u8; KEYS_LEN],
    aead: LessSafeKey,
}

impl Keys {
    fn new(raw: [u8; KEYS_LEN]) -> Keys {
        // 32 bytes is always a valid ChaCha20-Poly1305 key.
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &raw[NAME_LEN..]).expect("32-byte key");
        Keys {
            raw,
            aead: LessSafeKey::new(unbound),
        }
    }
}

impl TicketKeys {
    /// Fresh random keys, as each of Node's server contexts starts with.
    pub fn random() -> Result<TicketKeys, String> {
        let mut raw = [0u8; KEYS_LEN];
        SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| "no randomness for the ticket keys".to_owned())?;
        Ok(TicketKeys {
            current: RwLock::new(Keys::new(raw)),
        })
    }

    pub fn get(&self) -> [u8; KEYS_LEN] {
        self.current.read().unwrap_or_else(|p| p.into_inner()).raw
    }

    /// Replaces the keys: tickets sealed under the old ones no longer resume.
    pub fn set(&self, raw: [u8; KEYS_LEN]) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Keys::new(raw);
    }
}

impl std::fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketKeys")
    }
}

impl ProducesTickets for TicketKeys {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        LIFETIME_SECS
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).ok()?;
        let keys = self.current.read().unwrap_or_else(|p| p.into_inner());
        let name = &keys.raw[..NAME_LEN];
        let mut ticket = Vec::with_capacity(NAME_LEN + NONCE_LEN + plain.len() + 16);
        ticket.extend_from_slice(name);
        ticket.extend_from_slice(&nonce);
        let mut sealed = plain.to_vec();
        keys.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name),
                &mut sealed,
            )
            .ok()?;
        ticket.extend_from_slice(&sealed);
        Some(ticket)
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        if cipher.len() < NAME_LEN + NONCE_LEN {
            return None;
        }
        let (name, rest) = cipher.split_at(NAME_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let keys = self.current.read().unwrap_or_else(|p| p.into_inner());
        if name != &keys.raw[..NAME_LEN] {
            return None;
        }
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = keys
            .aead
            .open_in_place(nonce, Aad::from(name), &mut sealed)
            .ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_opens_under_the_same_keys_only() {
        let a = TicketKeys::random().unwrap();
        let b = TicketKeys::random().unwrap();
        let ticket = a.encrypt(b"state").unwrap();
        assert_eq!(a.decrypt(&ticket).as_deref(), Some(&b"state"[..]));
        assert_eq!(b.decrypt(&ticket), None);
        b.set(a.get());
        assert_eq!(b.decrypt(&ticket).as_deref(), Some(&b"state"[..]));
        let mut forged = ticket.clone();
        *forged.last_mut().unwrap() ^= 1;
        assert_eq!(a.decrypt(&forged), None);
        assert_eq!(a.decrypt(&ticket[..20]), None);
    }
}
