//! What one connection reports beyond its bytes: a client's new sessions (Node's
//! `'session'` event) and key log lines (`'keylog'`), collected here by the hooks
//! rustls calls while it processes the handshake, and taken by JS when the read step
//! says there is news.
//!
//! A client connection has its own session store, as Node's clients resume only the
//! session they are given (`session` option), never one another's on their own. A
//! session reaches JS as a small Buffer naming it in this process's registry
//! ([`sessions`]): rustls does not let its sessions out as bytes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rustls::client::{ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::pki_types::ServerName;
use rustls::KeyLog;
use rustls::NamedGroup;

use super::sessions::{self, Stored};

/// One connection's news for JS, and the session it was given to resume.
#[derive(Default)]
pub struct Extras {
    /// The session to offer (the `session` option), taken by the handshake.
    given: Mutex<Option<Stored>>,
    /// Names of the sessions the server gave since JS last looked.
    sessions: Mutex<Vec<Vec<u8>>>,
    /// Key log lines since JS last looked; only collected when JS wants them.
    keylog: Mutex<Vec<Vec<u8>>>,
    keylog_on: bool,
    news: AtomicBool,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Extras {
    /// `given`: a session's name from an earlier `'session'` event (unknown names, or
    /// sessions already used up, resume nothing).
    pub fn new(given: Option<&[u8]>, keylog: bool) -> Extras {
        Extras {
            given: Mutex::new(given.and_then(sessions::take)),
            keylog_on: keylog,
            ..Extras::default()
        }
    }

    /// True once after something new arrived.
    pub fn take_news(&self) -> bool {
        self.news.swap(false, Ordering::AcqRel)
    }

    pub fn take_sessions(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *locked(&self.sessions))
    }

    pub fn take_keylog(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *locked(&self.keylog))
    }

    fn new_session(&self, stored: Stored) {
        locked(&self.sessions).push(sessions::put(stored));
        self.news.store(true, Ordering::Release);
    }
}

impl std::fmt::Debug for Extras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Extras")
    }
}

impl KeyLog for Extras {
    fn will_log(&self, _label: &str) -> bool {
        self.keylog_on
    }

    /// NSS's key log format, one line per secret, as OpenSSL writes it.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if !self.keylog_on {
            return;
        }
        let mut line =
            Vec::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.extend_from_slice(label.as_bytes());
        line.push(b' ');
        hex(client_random, &mut line);
        line.push(b' ');
        hex(secret, &mut line);
        line.push(b'\n');
        locked(&self.keylog).push(line);
        self.news.store(true, Ordering::Release);
    }
}

fn hex(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 15)]);
    }
}

/// The client's session store: offers the given session, hands new ones to JS. The
/// server name is not checked, as OpenSSL offers whatever session it was given.
impl ClientSessionStore for Extras {
    fn set_kx_hint(&self, _server_name: ServerName<'static>, _group: NamedGroup) {}

    fn kx_hint(&self, _server_name: &ServerName<'_>) -> Option<NamedGroup> {
        None
    }

    fn set_tls12_session(&self, _server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.new_session(Stored::Tls12(value));
    }

    fn tls12_session(&self, _server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        match &*locked(&self.given) {
            Some(Stored::Tls12(value)) => Some(value.clone()),
            _ => None,
        }
    }

    fn remove_tls12_session(&self, _server_name: &ServerName<'static>) {
        let mut given = locked(&self.given);
        if matches!(*given, Some(Stored::Tls12(_))) {
            *given = None;
        }
    }

    fn insert_tls13_ticket(
        &self,
        _server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.new_session(Stored::Tls13(value));
    }

    fn take_tls13_ticket(
        &self,
        _server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        let mut given = locked(&self.given);
        match given.take() {
            Some(Stored::Tls13(value)) => Some(value),
            other => {
                *given = other;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_log_lines_are_nss_format() {
        let extras = Extras::new(None, true);
        extras.log("CLIENT_RANDOM", &[0x01, 0xab], &[0xff]);
        assert!(extras.take_news());
        assert!(!extras.take_news());
        assert_eq!(
            extras.take_keylog(),
            vec![b"CLIENT_RANDOM 01ab ff\n".to_vec()]
        );
        let quiet = Extras::new(None, false);
        quiet.log("CLIENT_RANDOM", &[1], &[2]);
        assert!(quiet.take_keylog().is_empty());
    }
}
