//! Certificate signatures by RSA keys of 1024 to 2047 bits, which OpenSSL's default
//! security level (so Node) accepts in a chain and webpki refuses: Node's own test CA
//! `ca2` is one, under several of its test certificates.
//!
//! Only for judging chains ([`chain_algorithms`], [`chain_provider`]); handshake
//! signatures keep rustls's algorithms.

use std::sync::{Arc, OnceLock};

use ring::signature::{self, RsaParameters, UnparsedPublicKey};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::SignatureVerificationAlgorithm;
use rustls::pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature};

/// One RSA PKCS#1 certificate signature algorithm taking keys from 1024 bits.
#[derive(Debug)]
struct LegacyRsa {
    signature_alg: AlgorithmIdentifier,
    params: &'static RsaParameters,
}

impl SignatureVerificationAlgorithm for LegacyRsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        UnparsedPublicKey::new(self.params, public_key)
            .verify(message, signature)
            .map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg
    }
}

static SHA256: LegacyRsa = LegacyRsa {
    signature_alg: alg_id::RSA_PKCS1_SHA256,
    params: &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
};
static SHA512: LegacyRsa = LegacyRsa {
    signature_alg: alg_id::RSA_PKCS1_SHA512,
    params: &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
};

/// The provider's certificate signature algorithms with the legacy RSA ones first:
/// webpki stops at the first algorithm that fits the key, and these take every RSA
/// key the 2048-bit ones take.
pub fn chain_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    static ALL: OnceLock<Vec<&'static dyn SignatureVerificationAlgorithm>> = OnceLock::new();
    ALL.get_or_init(|| {
        let legacy: [&'static dyn SignatureVerificationAlgorithm; 2] = [&SHA256, &SHA512];
        let rest = super::super::provider()
            .signature_verification_algorithms
            .all;
        legacy.into_iter().chain(rest.iter().copied()).collect()
    })
}

/// rsnet's provider, judging client chains with [`chain_algorithms`] (for
/// webpki's client verifier, which takes its algorithms from a provider).
pub fn chain_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            let mut provider = CryptoProvider::clone(&super::super::provider());
            provider.signature_verification_algorithms = WebPkiSupportedAlgorithms {
                all: chain_algorithms(),
                mapping: provider.signature_verification_algorithms.mapping,
            };
            Arc::new(provider)
        })
        .clone()
}
