//! TLS contexts: what a `tls.createSecureContext()` becomes natively. A [`Context`]
//! holds one rustls configuration (client or server) built from DER only: JS turns
//! PEM, `KeyObject`s and encrypted keys into DER with Node's own crypto, so bad input
//! gets Node's own errors before it reaches here.
//!
//! Certificates are not judged during the handshake: as Node (OpenSSL with its verify
//! callback accepting), the handshake completes whatever the peer's chain, and the
//! verdict ([`verify`]) is recorded for JS, which applies `rejectUnauthorized` and
//! `checkServerIdentity` itself.
//!
//! Beside them: a server's session ticket keys ([`tickets`]), a client's sessions as
//! JS names them ([`sessions`]), and what one connection reports to JS beyond its
//! bytes, its new sessions and key log lines ([`extras`]).

use std::sync::Arc;

use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};

pub mod extras;
pub mod first_record;
pub mod sessions;
pub mod tickets;
pub mod verify;

use extras::Extras;
use tickets::TicketKeys;

/// What JS hands over to make a context (all DER).
pub struct Options {
    pub server: bool,
    /// Our certificate chain, leaf first (may be empty for a client).
    pub chain: Vec<Vec<u8>>,
    /// Our PKCS#8 private key.
    pub key: Option<Vec<u8>>,
    /// Trust anchors: `ca`, or Node's root certificates.
    pub roots: Vec<Vec<u8>>,
    pub alpn: Vec<Vec<u8>>,
    /// 12 or 13 (TLS 1.2/1.3).
    pub min_version: u32,
    pub max_version: u32,
    /// Server: ask clients for a certificate (`requestCert`).
    pub request_cert: bool,
    /// Server with `requestCert`: refuse, in the handshake as OpenSSL does, a client
    /// without a trusted certificate (`rejectUnauthorized`).
    pub reject_unauthorized: bool,
    /// Server: the keys its session tickets are sealed with (shared by the contexts of
    /// one `SecureContext`, so `setTicketKeys` reaches all of them).
    pub ticket_keys: Option<Arc<TicketKeys>>,
}

/// What a peer's chain is judged against: the trust anchors, and the certificates
/// they came from, since OpenSSL trusts a peer that sends one of them itself (a
/// self-signed certificate given as `ca`), which webpki, seeing only anchors, does not.
pub struct Trust {
    pub store: RootCertStore,
    pub certs: Vec<Vec<u8>>,
}

/// One native secure context, shared by every connection made with it.
pub enum Context {
    Client {
        config: Arc<ClientConfig>,
        roots: Arc<Trust>,
    },
    Server {
        config: Arc<ServerConfig>,
        roots: Arc<Trust>,
        /// `requestCert`: the client's chain is judged.
        request: bool,
    },
}

/// The crypto provider, made once: ring's, with its key exchange groups in OpenSSL's
/// default order (X25519, then P-256, then P-384; Node's `ecdhCurve: 'auto'`). ring's
/// own default list puts P-384 first, whose ECDH costs several times X25519's: twice
/// the instructions per handshake.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            use rustls::crypto::ring::kx_group::{SECP256R1, SECP384R1, X25519};
            // Deprecated in 0.23.48 only because ring has no post-quantum key
            // exchange; aws-lc-rs, which has, is too heavy a C build here (issue #19).
            #[allow(deprecated)]
            let mut provider = rustls::crypto::ring::default_provider();
            provider.kx_groups = vec![X25519, SECP256R1, SECP384R1];
            Arc::new(provider)
        })
        .clone()
}

fn versions(min: u32, max: u32) -> Vec<&'static SupportedProtocolVersion> {
    let mut list = Vec::new();
    if min <= 13 && max >= 13 {
        list.push(&rustls::version::TLS13);
    }
    if min <= 12 && max >= 12 {
        list.push(&rustls::version::TLS12);
    }
    list
}

impl Context {
    pub fn new(options: Options) -> Result<Context, String> {
        let mut roots = RootCertStore::empty();
        // As OpenSSL loading a CA file, a certificate it cannot use is skipped.
        let (_added, _skipped) = roots
            .add_parsable_certificates(options.roots.iter().map(|d| CertificateDer::from(&d[..])));
        let roots = Arc::new(Trust {
            store: roots,
            certs: options.roots,
        });
        let versions = versions(options.min_version, options.max_version);
        if versions.is_empty() {
            return Err("no protocol version between minVersion and maxVersion".into());
        }
        let chain: Vec<CertificateDer<'static>> = options
            .chain
            .into_iter()
            .map(CertificateDer::from)
            .collect();
        let key = options
            .key
            .map(|der| PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)));
        if options.server {
            let Some(key) = key else {
                return Err("a server needs a key and a certificate".into());
            };
            let verifier = verify::client_verifier(
                provider(),
                &roots,
                options.request_cert,
                options.reject_unauthorized,
            );
            let mut config = ServerConfig::builder_with_provider(provider())
                .with_protocol_versions(&versions)
                .map_err(|e| e.to_string())?
                .with_client_cert_verifier(verifier)
                .with_cert_resolver(
                    verify::own_certificate(chain, key, &provider()).map_err(|e| e.to_string())?,
                );
            config.alpn_protocols = options.alpn;
            if let Some(keys) = options.ticket_keys {
                config.ticketer = keys;
            }
            Ok(Context::Server {
                config: Arc::new(config),
                roots,
                request: options.request_cert,
            })
        } else {
            let verifier = Arc::new(verify::RecordServer::new(provider()));
            let builder = ClientConfig::builder_with_provider(provider())
                .with_protocol_versions(&versions)
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(verifier);
            let mut config = match key {
                Some(key) if !chain.is_empty() => builder.with_client_cert_resolver(
                    verify::own_certificate(chain, key, &provider()).map_err(|e| e.to_string())?,
                ),
                _ => builder.with_no_client_auth(),
            };
            config.alpn_protocols = options.alpn;
            Ok(Context::Client {
                config: Arc::new(config),
                roots,
            })
        }
    }

    /// The trust anchors the peer's chain is judged against after the handshake.
    pub fn roots(&self) -> &Arc<Trust> {
        match self {
            Context::Client { roots, .. } | Context::Server { roots, .. } => roots,
        }
    }

    /// This context for one connection whose news (sessions, key log lines) go to
    /// `extras`: a client's resumes only the session it was given.
    pub fn for_connection(&self, extras: &Arc<Extras>) -> Context {
        match self {
            Context::Client { config, roots } => {
                let mut config = ClientConfig::clone(config);
                config.resumption = Resumption::store(extras.clone());
                config.key_log = extras.clone();
                Context::Client {
                    config: Arc::new(config),
                    roots: roots.clone(),
                }
            }
            Context::Server {
                config,
                roots,
                request,
            } => {
                let mut config = ServerConfig::clone(config);
                config.key_log = extras.clone();
                Context::Server {
                    config: Arc::new(config),
                    roots: roots.clone(),
                    request: *request,
                }
            }
        }
    }
}
