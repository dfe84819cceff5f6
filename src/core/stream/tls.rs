//! TLS inside the stream: a rustls connection between the socket and the stream's
//! read step and write queue. Ciphertext read from the socket is fed to the
//! connection in the read step, on whichever thread reads (the JS thread under the
//! loop driver, a runtime thread under the threaded one), and the plaintext becomes
//! the `Data` JS already handles; plaintext writes are encrypted into the write path;
//! what the connection itself has to send (handshake, alerts, close_notify) goes to
//! the socket from wherever it was produced, ahead of anything queued after it.
//!
//! The handshake's end reaches JS as an empty `Data` (JS, seeing it, or any read while
//! not yet secure, asks [`StreamCore::tls_info`]); a TLS failure as a read error of
//! status [`TLS_FAILED`], whose details [`StreamCore::tls_error`] gives.
//!
//! Lock order: the socket (`io`), then the session, then the write queue, whichever
//! thread: ciphertext leaves the session and enters the kernel or the queue under
//! the session's lock, so records go out in the order they were sealed.

use std::io::{self, IoSlice, Read, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};

use bytes::Bytes;
use rustls::pki_types::ServerName;
use rustls::{ClientConnection, Connection, HandshakeKind, ServerConnection};

use super::write_queue::WriteQueue;
use super::{Io, ReadStep, Reader, StreamCore, DONE, QUEUED, READ_SIZE, SCRATCH};
use crate::core::tls::extras::Extras;
use crate::core::tls::{first_record, verify, Context, Trust};
use crate::sys::errno::{status_of, EBADF};

/// Not an errno (those stop at -4095): the status of a read that failed in TLS.
pub const TLS_FAILED: i32 = -20_001;

/// One stream's TLS session.
pub struct Session {
    conn: Connection,
    roots: Arc<Trust>,
    /// The peer's chain is judged: always on a client, on a server with `requestCert`.
    judged: bool,
    /// The handshake completed and the read step told JS (an empty `Data`).
    announced: bool,
    verdict: Option<&'static str>,
    /// What failed: (Node's error code, message).
    error: Option<(String, String)>,
    /// Sessions and key log lines for JS (`start_tls_reporting`).
    extras: Option<Arc<Extras>>,
    /// Plaintext read with news, delivered after it (`news_before`).
    held: Vec<u8>,
    /// The first ciphertext read was looked at (`first_read_refused`).
    first_read_seen: bool,
    /// The peer's close_notify was read: every read step from now on says EOF (once
    /// what came before it was told), whether or not the FIN is in yet.
    peer_closed: bool,
    /// Plaintext bytes the read steps have produced so far.
    plain_total: u64,
    /// The close_notify came with plaintext: where it sits in the plaintext (bytes
    /// before it, `tls_close_notify_at`), told by an empty `Data` before that plaintext,
    /// held for the next step. JS ends the stream once it has read that many bytes, in
    /// the same pass as the last of them, as Node's TLSWrap reads the close_notify with
    /// the data (the EOF event after it would wait for the next loop turn, as a plain
    /// socket's). A position, not a flag: JS reads it while handling events the read
    /// steps made earlier (a batch of them, or on another thread), and other empty
    /// reads (news) may come before the one that told it.
    close_at: Option<u64>,
}

/// A key exchange group as OpenSSL names it, with the size OpenSSL gives (the
/// groups rsnet's provider offers: src/core/tls/mod.rs).
fn openssl_group(group: rustls::NamedGroup) -> Option<(&'static str, u32)> {
    match group {
        rustls::NamedGroup::X25519 => Some(("X25519", 253)),
        rustls::NamedGroup::secp256r1 => Some(("prime256v1", 256)),
        rustls::NamedGroup::secp384r1 => Some(("secp384r1", 384)),
        _ => None,
    }
}

/// The handshake's outcome, as JS reads it on its secure event.
pub struct Info {
    pub protocol: &'static str,
    pub cipher: String,
    pub alpn: Option<Vec<u8>>,
    pub servername: Option<String>,
    pub peer_chain: Vec<Vec<u8>>,
    pub verdict: Option<&'static str>,
    pub resumed: bool,
    /// The ephemeral key exchange's group, as OpenSSL names it (`getEphemeralKeyInfo`):
    /// (name, size in bits); `None` where none ran (a resumed TLS 1.2 session).
    pub key_exchange: Option<(&'static str, u32)>,
}

impl StreamCore {
    fn session(&self) -> MutexGuard<'_, Option<Box<Session>>> {
        self.tls.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_tls(&self) -> bool {
        self.tls_on.load(Ordering::Acquire)
    }

    /// Starts TLS on a connected stream (a client sends its hello at once). `servername`
    /// is the client's SNI; `None` (or an IP, or a name rustls cannot send) sends none.
    pub fn start_tls(&self, context: &Context, servername: Option<&str>) -> Result<(), String> {
        let io = self.io();
        let Some(io) = io.as_ref() else {
            return Err("socket is closed".into());
        };
        let (conn, judged) = match context {
            Context::Client { config, .. } => {
                let name = servername
                    .and_then(|name| ServerName::try_from(name.to_owned()).ok())
                    .or_else(|| {
                        let peer = io.sock().peer_addr().ok()?.as_socket()?;
                        Some(ServerName::IpAddress(peer.ip().into()))
                    })
                    .unwrap_or_else(|| ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
                let conn =
                    ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())?;
                (Connection::Client(conn), true)
            }
            Context::Server {
                config, request, ..
            } => {
                let conn = ServerConnection::new(config.clone()).map_err(|e| e.to_string())?;
                (Connection::Server(conn), *request)
            }
        };
        let mut session = Box::new(Session {
            conn,
            roots: context.roots().clone(),
            judged,
            announced: false,
            verdict: None,
            error: None,
            extras: None,
            held: Vec::new(),
            first_read_seen: false,
            peer_closed: false,
            plain_total: 0,
            close_at: None,
        });
        // Plaintext written before the handshake ends waits in the session, unbounded
        // as Node's writes before 'secureConnect' are.
        session.conn.set_buffer_limit(None);
        let mut slot = self.session();
        *slot = Some(session);
        self.tls_on.store(true, Ordering::Release);
        self.send_output(io, slot.as_mut().map(|s| &mut s.conn));
        Ok(())
    }

    /// The read step of a TLS stream: reads ciphertext until it yields plaintext, the
    /// handshake's end, EOF, an error, or the socket is drained. All plaintext the
    /// session holds is handed over at once, so none waits for a readiness that
    /// would not come.
    pub(super) fn tls_read_step(&self, io: &Io, reader: &mut Reader) -> ReadStep {
        let mut slot = self.session();
        let Some(session) = slot.as_mut() else {
            return ReadStep::Error(EBADF);
        };
        if session.error.is_some() {
            return ReadStep::Error(TLS_FAILED);
        }
        if let Some(step) = session.news_step(reader) {
            return step;
        }
        if session.peer_closed {
            return ReadStep::Eof;
        }
        loop {
            let mut plain = Vec::new();
            let read = SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                let n = io.try_read(&mut scratch[..READ_SIZE])?;
                if let Some(refused) = first_read_refused(session, &scratch[..n]) {
                    if let Some(alert) = refused.alert {
                        self.send_locked(&mut self.queue(), io, &alert, false);
                    }
                    let error = (refused.code.to_owned(), refused.message.to_owned());
                    return Ok((n, Err(error)));
                }
                let fed = feed(&mut session.conn, &scratch[..n], &mut plain);
                Ok::<_, io::Error>((n, fed.map_err(|err| describe(&err))))
            });
            reader.drained = !matches!(read, Ok((n, _)) if n >= READ_SIZE);
            let (n, fed) = match read {
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return ReadStep::Empty,
                Err(err) => return ReadStep::Error(status_of(&err)),
            };
            self.send_output(io, Some(&mut session.conn));
            let closed = match fed {
                Ok(closed) => closed,
                Err(error) => {
                    session.error = Some(error);
                    return ReadStep::Error(TLS_FAILED);
                }
            };
            let secure_now = !session.announced && !session.conn.is_handshaking();
            if secure_now {
                finish_handshake(session);
            }
            session.peer_closed |= closed;
            if !plain.is_empty() {
                self.undelivered.fetch_add(plain.len(), Ordering::AcqRel);
                session.plain_total += plain.len() as u64;
                if closed {
                    session.close_at = Some(session.plain_total);
                    session.held = plain;
                    reader.drained = false;
                    return ReadStep::Data(Bytes::new());
                }
                return session.news_before(plain, reader);
            }
            if session.has_news() | secure_now {
                return ReadStep::Data(Bytes::new());
            }
            if closed || n == 0 {
                return ReadStep::Eof;
            }
        }
    }

    /// Encrypts one write request and sends it: DONE, QUEUED or a status < 0, as
    /// `write`. Plaintext written during the handshake waits in the session and
    /// leaves with the read step that completes it.
    pub(super) fn tls_write(&self, chunks: &[&[u8]]) -> i32 {
        let io = self.io();
        let Some(io) = io.as_ref() else { return EBADF };
        let mut slot = self.session();
        let Some(session) = slot.as_mut() else {
            return EBADF;
        };
        // Once TLS failed, the read side reports it (its event is on its way, under
        // the threaded driver perhaps not delivered yet): the write is dropped, not
        // failed with a status of its own, as Node reports the alert, not the write.
        if session.error.is_some() {
            return DONE;
        }
        if let Err(err) = seal_plaintext(&mut session.conn, chunks) {
            return status_of(&err);
        }
        let sealed = take_output(&mut session.conn);
        let mut queue = self.queue();
        if queue.failed != 0 {
            return queue.failed;
        }
        let status = self.send_locked(&mut queue, io, &sealed, true);
        drop(queue);
        if status == QUEUED {
            self.wake.notify_one();
        }
        status
    }

    /// `end()`: the close_notify alert goes out before the FIN that follows it.
    pub(super) fn tls_close_notify(&self) {
        let io = self.io();
        let Some(io) = io.as_ref() else { return };
        let mut slot = self.session();
        if let Some(session) = slot.as_mut() {
            session.conn.send_close_notify();
            self.send_output(io, Some(&mut session.conn));
        }
    }

    /// Sends what the session has to send by itself (handshake, alerts). Not a write
    /// request of JS: nothing completes when it leaves.
    fn send_output(&self, io: &Io, conn: Option<&mut Connection>) {
        let Some(conn) = conn else { return };
        let sealed = take_output(conn);
        if sealed.is_empty() {
            return;
        }
        let mut queue = self.queue();
        if queue.failed != 0 {
            return;
        }
        // A failure here shows on the read side, which reports the connection's fate.
        let status = self.send_locked(&mut queue, io, &sealed, false);
        drop(queue);
        if status == QUEUED {
            self.wake.notify_one();
            self.poke_writer();
        }
    }

    /// Sends `data` now if nothing waits before it, queuing what the kernel left.
    fn send_locked(&self, queue: &mut WriteQueue, io: &Io, data: &[u8], request: bool) -> i32 {
        if data.is_empty() {
            return DONE;
        }
        let mut written = 0;
        if queue.pending.is_empty() && !queue.shutdown {
            written = match io.write_direct(&[IoSlice::new(data)]) {
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => 0,
                Err(err) => return status_of(&err),
            };
            if written == data.len() {
                return DONE;
            }
        }
        queue.push_rest(&[data], written, request);
        self.has_pending.store(true, Ordering::Release);
        QUEUED
    }

    /// The handshake's outcome; `None` before it completed (or without TLS).
    pub fn tls_info(&self) -> Option<Info> {
        let slot = self.session();
        let session = slot.as_ref()?;
        if !session.announced {
            return None;
        }
        let conn = &session.conn;
        let protocol = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "unknown",
        };
        let servername = match conn {
            Connection::Server(server) => server.server_name().map(str::to_owned),
            Connection::Client(_) => None,
        };
        Some(Info {
            protocol,
            cipher: conn
                .negotiated_cipher_suite()
                .map(|suite| format!("{:?}", suite.suite()))
                .unwrap_or_default(),
            alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
            servername,
            peer_chain: conn
                .peer_certificates()
                .map(|chain| chain.iter().map(|c| c.to_vec()).collect())
                .unwrap_or_default(),
            verdict: session.verdict,
            resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
            key_exchange: conn
                .negotiated_key_exchange_group()
                .and_then(|group| openssl_group(group.name())),
        })
    }

    /// Where the peer's close_notify sits in the plaintext, once it came with some
    /// (JS ends the stream once it has read that many bytes: `Session::close_at`).
    pub fn tls_close_notify_at(&self) -> Option<u64> {
        self.session().as_ref().and_then(|s| s.close_at)
    }

    /// What made a read fail with [`TLS_FAILED`]: (Node's error code, message).
    pub fn tls_error(&self) -> Option<(String, String)> {
        self.session().as_ref()?.error.clone()
    }
}

/// A connection's first read, refused as OpenSSL refuses it where rustls would
/// answer otherwise (see `first_record`).
fn first_read_refused(session: &mut Session, first: &[u8]) -> Option<first_record::Refusal> {
    if session.first_read_seen || first.is_empty() {
        return None;
    }
    session.first_read_seen = true;
    let server = matches!(session.conn, Connection::Server(_));
    first_record::refusal(first, server)
}

/// Feeds one read's ciphertext to the session, taking the plaintext out as it comes
/// (the session holds at most 16 KiB of it). True once the peer sent close_notify.
fn feed(
    conn: &mut Connection,
    mut ciphertext: &[u8],
    plain: &mut Vec<u8>,
) -> Result<bool, rustls::Error> {
    let mut closed = false;
    loop {
        if !ciphertext.is_empty() {
            match conn.read_tls(&mut ciphertext) {
                Ok(0) => ciphertext = &[],
                Ok(_) => {}
                Err(err) => return Err(rustls::Error::General(err.to_string())),
            }
        }
        let state = conn.process_new_packets()?;
        if state.plaintext_bytes_to_read() > 0 {
            let start = plain.len();
            plain.resize(start + state.plaintext_bytes_to_read(), 0);
            let n = conn.reader().read(&mut plain[start..]).unwrap_or(0);
            plain.truncate(start + n);
        }
        closed |= state.peer_has_closed();
        if ciphertext.is_empty() {
            return Ok(closed);
        }
    }
}

/// Hands one write request's chunks to the session in one call, so that they share
/// records: rustls seals at least one record per call, and an HTTP response's header
/// and body are two chunks of one writev. Node's TLSWrap joins a writev's buffers into
/// one SSL_write, so there too they leave as one record (one seal, 22 bytes fewer).
fn seal_plaintext(conn: &mut Connection, chunks: &[&[u8]]) -> io::Result<()> {
    if let [chunk] = chunks {
        return conn.writer().write_all(chunk);
    }
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|chunk| IoSlice::new(chunk)).collect();
    let mut rest = &mut slices[..];
    // Past leading empty chunks: an empty write would mean "nothing taken".
    IoSlice::advance_slices(&mut rest, 0);
    while !rest.is_empty() {
        // The session's buffer is unbounded (start_tls): it takes everything at once.
        let taken = conn.writer().write_vectored(rest)?;
        if taken == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut rest, taken);
    }
    Ok(())
}

fn take_output(conn: &mut Connection) -> Vec<u8> {
    let mut sealed = Vec::new();
    while conn.wants_write() {
        if conn.write_tls(&mut sealed).is_err() {
            break;
        }
    }
    sealed
}

fn finish_handshake(session: &mut Session) {
    session.announced = true;
    if session.judged {
        let chain = session.conn.peer_certificates().unwrap_or(&[]);
        let server = matches!(session.conn, Connection::Server(_));
        session.verdict = verify::judge(chain, &session.roots, server);
    }
}

/// A rustls error as Node names OpenSSL's: (code, message).
fn describe(err: &rustls::Error) -> (String, String) {
    use rustls::Error;
    let code = match err {
        Error::AlertReceived(alert) => alert_code(*alert),
        Error::NoApplicationProtocol => "ERR_SSL_NO_APPLICATION_PROTOCOL".into(),
        Error::NoCertificatesPresented => "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE".into(),
        Error::InvalidCertificate(_) => "ERR_SSL_CERTIFICATE_VERIFY_FAILED".into(),
        Error::PeerIncompatible(_) => "ERR_SSL_UNSUPPORTED_PROTOCOL".into(),
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            "ERR_SSL_WRONG_VERSION_NUMBER".into()
        }
        Error::DecryptError => "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC".into(),
        _ => "ERR_SSL_SSL_HANDSHAKE_FAILURE".into(),
    };
    (code, err.to_string())
}

/// OpenSSL's code for an alert the peer sent: `ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE`
/// for the alerts SSLv3 had, `TLSV13` for those TLS 1.3 added, `TLSV1` otherwise.
fn alert_code(alert: rustls::AlertDescription) -> String {
    let number = u8::from(alert);
    let era = match number {
        0..=47 => "SSLV3",
        109 | 116 => "TLSV13",
        _ => "TLSV1",
    };
    let name = match alert {
        rustls::AlertDescription::UnrecognisedName => "UNRECOGNIZED_NAME".to_owned(),
        other => snake_upper(&format!("{other:?}")),
    };
    format!("ERR_SSL_{era}_ALERT_{name}")
}

/// `HandshakeFailure` -> `HANDSHAKE_FAILURE`, `UnknownCA` -> `UNKNOWN_CA`.
fn snake_upper(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        let after_lower = i > 0 && chars[i - 1].is_ascii_lowercase();
        let acronym_end = i > 0
            && chars[i - 1].is_ascii_uppercase()
            && chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
        if ch.is_ascii_uppercase() && (after_lower || acronym_end) {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

// ---- Beyond the bytes: sessions, key log, exported keys (lib/tls's extras) ----------

impl Session {
    /// New sessions or key log lines arrived: the read step tells JS with an empty
    /// `Data` (JS looks for news on empty reads only, so reads of data cost nothing
    /// more).
    fn has_news(&self) -> bool {
        self.extras
            .as_ref()
            .is_some_and(|extras| extras.take_news())
    }

    /// Plaintext that came with news: the news is told first (the peer sent a TLS 1.3
    /// ticket before the response it precedes), the plaintext by the next step.
    fn news_before(&mut self, plain: Vec<u8>, reader: &mut Reader) -> ReadStep {
        if !self.has_news() {
            return ReadStep::Data(Bytes::from(plain));
        }
        self.held = plain;
        reader.drained = false;
        ReadStep::Data(Bytes::new())
    }

    /// A step owed before reading again: held plaintext, or news. Not a read, so what
    /// the kernel holds is still to be read.
    fn news_step(&mut self, reader: &mut Reader) -> Option<ReadStep> {
        let step = if !self.held.is_empty() {
            ReadStep::Data(Bytes::from(std::mem::take(&mut self.held)))
        } else if self.has_news() {
            ReadStep::Data(Bytes::new())
        } else {
            return None;
        };
        reader.drained = false;
        Some(step)
    }
}

impl StreamCore {
    /// `start_tls` with `extras` collecting what the connection reports beyond its
    /// bytes; `context` is the connection's own (`Context::for_connection`).
    pub fn start_tls_reporting(
        &self,
        context: &Context,
        servername: Option<&str>,
        extras: Arc<Extras>,
    ) -> Result<(), String> {
        self.start_tls(context, servername)?;
        if let Some(session) = self.session().as_mut() {
            session.extras = Some(extras);
        }
        Ok(())
    }

    /// The connection's extras, to take its news from.
    pub fn tls_extras(&self) -> Option<Arc<Extras>> {
        self.session().as_ref()?.extras.clone()
    }

    /// RFC 5705 keying material (`exportKeyingMaterial`), once the handshake is done.
    pub fn tls_export(
        &self,
        length: usize,
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Vec<u8>, String> {
        let slot = self.session();
        let Some(session) = slot.as_ref().filter(|s| s.announced) else {
            return Err("TLS session is not established".into());
        };
        session
            .conn
            .export_keying_material(vec![0; length], label, context)
            .map_err(|err| err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_are_named_as_openssl_names_them() {
        use rustls::AlertDescription as A;
        assert_eq!(
            alert_code(A::HandshakeFailure),
            "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"
        );
        assert_eq!(alert_code(A::UnknownCA), "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA");
        assert_eq!(
            alert_code(A::ProtocolVersion),
            "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"
        );
        assert_eq!(
            alert_code(A::CertificateRequired),
            "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"
        );
        assert_eq!(
            alert_code(A::UnknownPSKIdentity),
            "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY"
        );
    }
}
