//! Certificate verification as Node does it: after the handshake, not during it.
//!
//! The verifiers installed in the rustls configurations ([`RecordServer`],
//! [`RecordClient`]) accept any chain, but still check the handshake signatures with
//! the peer's key, so a peer must hold the key of the certificate it sent. Once the
//! handshake is done, [`judge`] runs webpki on the chain and names the outcome, and
//! JS applies `rejectUnauthorized` (and, on a client, `checkServerIdentity`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

use super::Trust;

/// The signature checks both verifiers share.
#[derive(Debug)]
struct Signatures(Arc<CryptoProvider>);

impl Signatures {
    fn tls12(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(msg, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn tls13(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(msg, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
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
    fn verify_tls12_signature(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.tls12(msg, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.tls13(msg, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.schemes()
    }
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
    fn verify_tls12_signature(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.signatures.tls12(msg, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        msg: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.signatures.tls13(msg, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.schemes()
    }
}

/// A server's client-certificate verifier: with `requestCert` and
/// `rejectUnauthorized`, webpki's own, mandatory, so that a client without a trusted
/// certificate fails the handshake as under OpenSSL; otherwise [`RecordClient`].
pub fn client_verifier(
    provider: Arc<CryptoProvider>,
    roots: &rustls::RootCertStore,
    request: bool,
    reject: bool,
) -> Arc<dyn ClientCertVerifier> {
    if request && reject && !roots.is_empty() {
        let built =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots.clone()), provider.clone())
                .build();
        if let Ok(verifier) = built {
            return verifier;
        }
    }
    Arc::new(RecordClient::new(provider, request))
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
    let roots = &trust.store;
    let now = UnixTime::now();
    let outcome = if server {
        // A client's certificate, judged for client authentication.
        let roots = Arc::new(roots.clone());
        match WebPkiClientVerifier::builder_with_provider(roots, super::provider()).build() {
            Ok(verifier) => verifier
                .verify_client_cert(leaf, intermediates, now)
                .map(drop),
            Err(_) => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        }
    } else {
        let algorithms = super::provider().signature_verification_algorithms;
        ParsedCertificate::try_from(leaf).and_then(|parsed| {
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &parsed,
                roots,
                intermediates,
                now,
                algorithms.all,
            )
        })
    };
    outcome.err().map(|err| reason(&err))
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
