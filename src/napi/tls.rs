//! TLS for JS: `TlsContext` (a native secure context, made from DER), and the
//! verbs a socket handle gains for it (`startTls`, `tlsInfo`, `tlsError`).

use std::sync::Arc;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::core::stream::TLS_FAILED;
use crate::core::tls::extras::Extras;
use crate::core::tls::tickets::{TicketKeys, KEYS_LEN};
use crate::core::tls::{sessions, Context, Options};
use crate::napi::socket::SocketHandle;

/// What `lib/tls` hands over for a context; every certificate and key is DER.
#[napi(object)]
pub struct TlsContextOptions {
    pub server: bool,
    /// Our certificate chain, leaf first.
    pub chain: Vec<Buffer>,
    /// Our private key, PKCS#8.
    pub key: Option<Buffer>,
    /// Trust anchors (`ca`, else Node's root certificates).
    pub roots: Vec<Buffer>,
    /// ALPN protocol names, in preference order.
    pub alpn: Vec<Buffer>,
    /// 12 or 13: TLS 1.2 or 1.3.
    pub min_version: u32,
    pub max_version: u32,
    pub request_cert: bool,
    pub reject_unauthorized: bool,
}

/// A native secure context: one rustls configuration, shared by its connections.
#[napi]
pub struct TlsContext {
    inner: Arc<Context>,
}

#[napi]
impl TlsContext {
    /// `ticketKeys`: a server's, shared by the contexts of one `SecureContext`.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: TlsContextOptions,
        ticket_keys: Option<&TlsTicketKeys>,
    ) -> napi::Result<Self> {
        let bytes = |list: Vec<Buffer>| list.into_iter().map(Vec::from).collect();
        let context = Context::new(Options {
            server: options.server,
            chain: bytes(options.chain),
            key: options.key.map(Vec::from),
            roots: bytes(options.roots),
            alpn: bytes(options.alpn),
            min_version: options.min_version,
            max_version: options.max_version,
            request_cert: options.request_cert,
            reject_unauthorized: options.reject_unauthorized,
            ticket_keys: ticket_keys.map(|keys| keys.inner.clone()),
        })
        .map_err(napi::Error::from_reason)?;
        Ok(TlsContext {
            inner: Arc::new(context),
        })
    }
}

/// A server's session ticket keys (`getTicketKeys()` / `setTicketKeys()`): 48 bytes.
#[napi]
pub struct TlsTicketKeys {
    inner: Arc<TicketKeys>,
}

#[napi]
impl TlsTicketKeys {
    /// Random keys, as a new server context of Node's has.
    #[napi(constructor, catch_unwind)]
    pub fn new() -> napi::Result<Self> {
        let inner = TicketKeys::random().map_err(napi::Error::from_reason)?;
        Ok(TlsTicketKeys {
            inner: Arc::new(inner),
        })
    }

    #[napi(catch_unwind)]
    pub fn get(&self) -> Buffer {
        Buffer::from(self.inner.get().to_vec())
    }

    /// JS checked the length (Node's error); anything else is refused here too.
    #[napi(catch_unwind)]
    pub fn set(&self, keys: Buffer) -> napi::Result<()> {
        let raw: [u8; KEYS_LEN] = keys[..]
            .try_into()
            .map_err(|_| napi::Error::from_reason("Ticket keys length must be 48 bytes"))?;
        self.inner.set(raw);
        Ok(())
    }
}

/// What a connection reported beyond its bytes since JS last asked.
#[napi(object)]
pub struct TlsNews {
    /// Names of new client sessions (the Buffers of `'session'`).
    pub sessions: Vec<Buffer>,
    /// NSS key log lines, each ending in a newline.
    pub keylog: Vec<Buffer>,
}

/// The handshake's outcome (`tlsInfo()`), read by JS when it turns secure.
#[napi(object)]
pub struct TlsHandshake {
    /// `TLSv1.2` or `TLSv1.3`.
    pub protocol: String,
    /// rustls's name of the suite (IANA's, as `TLS13_AES_128_GCM_SHA256`).
    pub cipher: String,
    pub alpn: Option<String>,
    /// The SNI name a client sent (server side).
    pub servername: Option<String>,
    /// The peer's chain as sent, leaf first, DER.
    pub peer_chain: Vec<Buffer>,
    /// Why the peer's chain is not trusted (an OpenSSL code), or none.
    pub verdict: Option<String>,
    pub resumed: bool,
    /// The ephemeral key exchange's group as OpenSSL names it (`X25519`,
    /// `prime256v1`…), and its size in bits; none after a resumed TLS 1.2 handshake.
    pub key_exchange: Option<String>,
    pub key_exchange_size: Option<u32>,
}

#[napi]
impl SocketHandle {
    /// Starts TLS on this connected stream with `context`; a client sends its hello
    /// now. `servername` is the SNI a client sends.
    #[napi(catch_unwind)]
    pub fn start_tls(&self, context: &TlsContext, servername: Option<String>) -> napi::Result<()> {
        self.core()
            .start_tls(&context.inner, servername.as_deref())
            .map_err(napi::Error::from_reason)
    }

    /// `startTls` for a connection that reports sessions (a client: its own session
    /// store, offering `session`) and, with `keylog`, key log lines.
    #[napi(catch_unwind)]
    pub fn start_tls_reporting(
        &self,
        context: &TlsContext,
        servername: Option<String>,
        session: Option<Buffer>,
        keylog: bool,
    ) -> napi::Result<()> {
        let extras = Arc::new(Extras::new(session.as_deref(), keylog));
        let own = context.inner.for_connection(&extras);
        self.core()
            .start_tls_reporting(&own, servername.as_deref(), extras)
            .map_err(napi::Error::from_reason)
    }

    /// New sessions and key log lines, or nothing.
    #[napi(catch_unwind)]
    pub fn tls_news(&self) -> Option<TlsNews> {
        let extras = self.core().tls_extras()?;
        let news = TlsNews {
            sessions: extras
                .take_sessions()
                .into_iter()
                .map(Buffer::from)
                .collect(),
            keylog: extras.take_keylog().into_iter().map(Buffer::from).collect(),
        };
        (!news.sessions.is_empty() || !news.keylog.is_empty()).then_some(news)
    }

    /// `exportKeyingMaterial(length, label, context)`, arguments checked by JS.
    #[napi(catch_unwind)]
    pub fn tls_export(
        &self,
        length: u32,
        label: String,
        context: Option<Buffer>,
    ) -> napi::Result<Buffer> {
        self.core()
            .tls_export(length as usize, label.as_bytes(), context.as_deref())
            .map(Buffer::from)
            .map_err(napi::Error::from_reason)
    }

    /// The handshake's outcome, once it completed.
    #[napi(catch_unwind)]
    pub fn tls_info(&self) -> Option<TlsHandshake> {
        let info = self.core().tls_info()?;
        Some(TlsHandshake {
            protocol: info.protocol.to_owned(),
            cipher: info.cipher,
            alpn: info.alpn.map(|p| String::from_utf8_lossy(&p).into_owned()),
            servername: info.servername,
            peer_chain: info.peer_chain.into_iter().map(Buffer::from).collect(),
            verdict: info.verdict.map(str::to_owned),
            resumed: info.resumed,
            key_exchange: info.key_exchange.map(|(name, _)| name.to_owned()),
            key_exchange_size: info.key_exchange.map(|(_, size)| size),
        })
    }

    /// Where the peer's close_notify sits in the plaintext (bytes before it), once it
    /// came with some: lib/tls/socket.js ends the stream once it has read that many,
    /// as Node's TLSWrap reads the close_notify with the data.
    #[napi(catch_unwind)]
    pub fn tls_close_notify_at(&self) -> Option<f64> {
        self.core().tls_close_notify_at().map(|at| at as f64)
    }

    /// `[code, message]` of the TLS failure behind a read error of `TLS_FAILED`.
    #[napi(catch_unwind)]
    pub fn tls_error(&self) -> Option<Vec<String>> {
        self.core()
            .tls_error()
            .map(|(code, message)| vec![code, message])
    }
}

/// The read status that means "TLS failed" (not an errno).
#[napi]
pub fn tls_failed_status() -> i32 {
    TLS_FAILED
}

/// Whether `session` is a session name rsnet made (not one of Node's own TLS).
#[napi]
pub fn tls_session_is_native(session: Buffer) -> bool {
    sessions::is_ours(&session)
}
