//! Certificate verification as Node does it: after the handshake, not during it.
//!
//! The verifiers installed in the rustls configurations ([`RecordServer`],
//! [`RecordClient`]) accept any chain, but still check the handshake signatures with
//! the peer's key, so a peer must hold the key of the certificate it sent. Once the
//! handshake is done, [`judge`] runs webpki on the chain and names the outcome, and
//! JS applies `rejectUnauthorized` (and, on a client, `checkServerIdentity`).
//!
//! Both read the peer's certificate with [`der`], not webpki, where webpki would
//! refuse an X.509 v1 certificate that OpenSSL takes: the handshake signature is
//! checked with the certificate's key whatever its version, and a v1 leaf is judged
//! by [`judge_v1`]. Chains are judged with [`legacy_rsa`]'s algorithms too: RSA
//! keys under 2048 bits, which OpenSSL's default security level takes.

mod der;
mod legacy_rsa;

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls13_signature_with_raw_key, CryptoProvider};
use rustls::pki_types::SignatureVerificationAlgorithm;
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, ServerName, SubjectPublicKeyInfoDer, UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, InconsistentKeys,
    PeerMisbehaved, SignatureScheme,
};

use super::Trust;

/// The signature checks both verifiers share.
#[derive(Debug)]
struct Signatures(Arc<CryptoProvider>);

impl Signatures {
    /// As rustls's `verify_tls12_signature` (each algorithm of the scheme that fits
    /// the key is tried), but with the key read by [`der`]. A scheme outside our
    /// mapping was never offered, so is refused as rustls does.
    fn tls12(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algorithms = self.algorithms(dss.scheme)?;
        let cert = parse(cert)?;
        match signed_by(algorithms, cert.spki, msg, dss.signature()) {
            Some(true) => Ok(HandshakeSignatureValid::assertion()),
            _ => Err(Error::InvalidCertificate(CertificateError::BadSignature)),
        }
    }
    /// rustls's own check, given the key read by [`der`].
    fn tls13(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let spki = SubjectPublicKeyInfoDer::from(parse(cert)?.spki);
        let algorithms = &self.0.signature_verification_algorithms;
        verify_tls13_signature_with_raw_key(msg, &spki, dss, algorithms)
    }
    fn algorithms(
        &self,
        scheme: SignatureScheme,
    ) -> Result<&'static [&'static dyn SignatureVerificationAlgorithm], Error> {
        let mapping = self.0.signature_verification_algorithms.mapping;
        match mapping.iter().find(|(s, _)| *s == scheme) {
            Some((_, algorithms)) if !algorithms.is_empty() => Ok(algorithms),
            _ => Err(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme.into()),
        }
    }
    fn schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn parse<'a>(cert: &'a CertificateDer<'_>) -> Result<der::Cert<'a>, Error> {
    der::parse(cert).ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))
}

/// Whether `signature` over `msg` verifies with the key `spki` by one of
/// `algorithms` (with or without a signature algorithm of `signature_alg`); `None`
/// when none of them fits the key.
fn signed_by_with(
    algorithms: &[&dyn SignatureVerificationAlgorithm],
    signature_alg: Option<&[u8]>,
    spki: &[u8],
    msg: &[u8],
    signature: &[u8],
) -> Option<bool> {
    let (key_alg, key) = der::spki_parts(spki)?;
    let mut fitting = algorithms.iter().filter(|alg| {
        alg.public_key_alg_id().as_ref() == key_alg
            && signature_alg.is_none_or(|id| alg.signature_alg_id().as_ref() == id)
    });
    let first = fitting.next()?;
    let verified = |alg: &&&dyn SignatureVerificationAlgorithm| {
        alg.verify_signature(key, msg, signature).is_ok()
    };
    Some(verified(&first) || fitting.any(|alg| verified(&alg)))
}

fn signed_by(
    algorithms: &[&dyn SignatureVerificationAlgorithm],
    spki: &[u8],
    msg: &[u8],
    signature: &[u8],
) -> Option<bool> {
    signed_by_with(algorithms, None, spki, msg, signature)
}

/// The handshake-signature methods every verifier here has, checked by its
/// [`Signatures`] (the field named): the same three for a server's and a client's
/// verifier traits.
macro_rules! handshake_signatures {
    ($field:tt) => {
        fn verify_tls12_signature(
            &self,
            msg: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.$field.tls12(msg, cert, dss)
        }
        fn verify_tls13_signature(
            &self,
            msg: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.$field.tls13(msg, cert, dss)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.$field.schemes()
        }
    };
}

/// A client's verifier of server certificates: accepts, leaving the verdict to [`judge`].
#[derive(Debug)]
pub struct RecordServer(Signatures);

impl RecordServer {
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        RecordServer(Signatures(provider))
    }
}

impl ServerCertVerifier for RecordServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }
    handshake_signatures!(0);
}

/// A server's verifier of client certificates (`requestCert`): asks for one when
/// told to, never requires it, accepts what comes; [`judge`] gives the verdict.
#[derive(Debug)]
pub struct RecordClient {
    signatures: Signatures,
    request: bool,
}

impl RecordClient {
    pub fn new(provider: Arc<CryptoProvider>, request: bool) -> Self {
        RecordClient {
            signatures: Signatures(provider),
            request,
        }
    }
}

impl ClientCertVerifier for RecordClient {
    fn offer_client_auth(&self) -> bool {
        self.request
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        Ok(ClientCertVerified::assertion())
    }
    handshake_signatures!(signatures);
}

/// A server's client-certificate verifier: with `requestCert` and
/// `rejectUnauthorized`, [`RequireClient`], so that a client without a certificate
/// fails the handshake as under OpenSSL; otherwise [`RecordClient`].
pub fn client_verifier(
    provider: Arc<CryptoProvider>,
    trust: &Arc<Trust>,
    request: bool,
    reject: bool,
) -> Arc<dyn ClientCertVerifier> {
    if request && reject && !trust.store.is_empty() {
        let built = WebPkiClientVerifier::builder_with_provider(
            Arc::new(trust.store.clone()),
            legacy_rsa::chain_provider(),
        )
        .build();
        if let Ok(webpki) = built {
            return Arc::new(RequireClient {
                webpki,
                signatures: Signatures(provider),
            });
        }
    }
    Arc::new(RecordClient::new(provider, request))
}

/// A client certificate is required (Node's `SSL_VERIFY_FAIL_IF_NO_PEER_CERT`: a
/// client without one fails the handshake), but any chain is accepted in the
/// handshake, as Node's verify callback accepts every chain: the server judges it
/// after the handshake ([`judge`]) and destroys the socket then, so the client sees
/// its connection reset, not an alert (test-tls-client-auth). The trusted CAs' names
/// go in the certificate request (webpki's), as OpenSSL sends its client CA list.
struct RequireClient {
    webpki: Arc<dyn ClientCertVerifier>,
    signatures: Signatures,
}

impl std::fmt::Debug for RequireClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireClient")
            .field("webpki", &self.webpki)
            .finish_non_exhaustive()
    }
}

impl ClientCertVerifier for RequireClient {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        true
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.webpki.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        Ok(ClientCertVerified::assertion())
    }
    handshake_signatures!(signatures);
}

/// Our own certificate chain and key, as rustls's `with_single_cert` and
/// `with_client_auth_cert` make them, but matching the key to the certificate by
/// [`der`]: theirs parses the certificate with webpki, which refuses a v1 one.
pub fn own_certificate(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: &CryptoProvider,
) -> Result<Arc<SingleCertAndKey>, Error> {
    let key = provider.key_provider.load_private_key(key)?;
    let leaf = chain.first().ok_or(Error::NoCertificatesPresented)?;
    if let Some(public) = key.public_key() {
        if public.as_ref() != parse(leaf)?.spki {
            return Err(InconsistentKeys::KeyMismatch.into());
        }
    }
    Ok(Arc::new(CertifiedKey::new(chain, key).into()))
}

/// The verdict on a peer's chain (leaf first), judged against `roots`: `None` when
/// trusted, else a reason. Host names are JS's job (`checkServerIdentity`). The
/// reasons are OpenSSL's codes, except `UNKNOWN_ISSUER`, which JS refines by looking at
/// the chain (self-signed leaf, self-signed root in the chain, missing issuer), as
/// OpenSSL tells those apart.
pub fn judge(
    chain: &[CertificateDer<'static>],
    trust: &Arc<Trust>,
    server: bool,
) -> Option<&'static str> {
    let Some((leaf, intermediates)) = chain.split_first() else {
        // What Node reports for a peer that sent no certificate.
        return Some("UNABLE_TO_GET_ISSUER_CERT");
    };
    if trust.certs.iter().any(|cert| cert[..] == leaf[..]) {
        return None;
    }
    if let Some(v1) = der::parse(leaf).filter(|cert| cert.version == 0) {
        return judge_v1(&v1, trust);
    }
    let roots = &trust.store;
    let now = UnixTime::now();
    let outcome = if server {
        // A client's certificate, judged for client authentication.
        let roots = Arc::new(roots.clone());
        match WebPkiClientVerifier::builder_with_provider(roots, legacy_rsa::chain_provider())
            .build()
        {
            Ok(verifier) => verifier
                .verify_client_cert(leaf, intermediates, now)
                .map(drop),
            Err(_) => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        }
    } else {
        ParsedCertificate::try_from(leaf).and_then(|parsed| {
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &parsed,
                roots,
                intermediates,
                now,
                legacy_rsa::chain_algorithms(),
            )
        })
    };
    outcome.err().map(|err| reason(&err))
}

/// A v1 leaf (which webpki refuses), judged as OpenSSL does when a trusted
/// certificate issued it directly: found by name, its key must verify the leaf's
/// signature, and the leaf must be within its validity period. A self-signed leaf
/// nobody trusts, or one whose issuer is not trusted, is `UNKNOWN_ISSUER`, which JS
/// refines as for v3 chains. An issuer sent in the chain but not trusted itself is
/// not followed (webpki cannot take a v1 leaf under it either).
fn judge_v1(leaf: &der::Cert<'_>, trust: &Trust) -> Option<&'static str> {
    let mut issuers = trust.certs.iter().filter_map(|der| der::parse(der));
    let Some(issuer) = issuers.find(|issuer| issuer.subject == leaf.issuer) else {
        return Some("UNKNOWN_ISSUER");
    };
    if !issued_by(leaf, &issuer) {
        return Some("CERT_SIGNATURE_FAILURE");
    }
    let now = UnixTime::now().as_secs() as i64;
    if now < leaf.not_before {
        Some("CERT_NOT_YET_VALID")
    } else if now > leaf.not_after {
        Some("CERT_HAS_EXPIRED")
    } else {
        None
    }
}

/// Whether `issuer`'s key verifies `cert`'s signature, with the algorithms webpki
/// judges chains with here.
fn issued_by(cert: &der::Cert<'_>, issuer: &der::Cert<'_>) -> bool {
    let algorithms = legacy_rsa::chain_algorithms();
    let (tbs, signature) = (cert.tbs, cert.signature);
    let signature_alg = Some(cert.signature_alg);
    signed_by_with(algorithms, signature_alg, issuer.spki, tbs, signature) == Some(true)
}

fn reason(err: &Error) -> &'static str {
    match err {
        Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => "UNKNOWN_ISSUER",
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "CERT_HAS_EXPIRED"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "CERT_NOT_YET_VALID"
            }
            CertificateError::Revoked => "CERT_REVOKED",
            CertificateError::BadSignature => "CERT_SIGNATURE_FAILURE",
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "INVALID_PURPOSE"
            }
            CertificateError::BadEncoding => "CERT_UNTRUSTED",
            _ => "CERT_REJECTED",
        },
        _ => "CERT_REJECTED",
    }
}
