'use strict';
// What a peer's certificate looks like to JS, and the verdict as Node words it: the
// legacy certificate object of getPeerCertificate(), and OpenSSL's verify errors
// (code and message) from the native verdict (src/core/tls/verify.rs).

const { X509Certificate } = require('node:crypto');

// OpenSSL 3's wording of each verify result, as Node 20 reports it.
const MESSAGES = {
  __proto__: null,
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  INVALID_PURPOSE: 'unsupported certificate purpose',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
};

const isSelfSigned = (cert) => cert.issuer === cert.subject && cert.checkIssued(cert);

// webpki says only "unknown issuer"; OpenSSL tells apart a self-signed leaf, a chain
// ending in a self-signed root nobody trusts, and a chain missing its issuer.
function refineUnknownIssuer(chainDer) {
  const chain = chainDer.map((der) => new X509Certificate(der));
  if (chain.length === 1 && isSelfSigned(chain[0])) return 'DEPTH_ZERO_SELF_SIGNED_CERT';
  if (chain.length > 1 && isSelfSigned(chain[chain.length - 1])) return 'SELF_SIGNED_CERT_IN_CHAIN';
  return chain.length === 1 ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
}

// The verify error of a handshake (an Error with OpenSSL's code), or null if trusted.
function verifyError(info) {
  if (!info.verdict) return null;
  let code = info.verdict;
  if (code === 'UNKNOWN_ISSUER') {
    code = refineUnknownIssuer(info.peerChain);
  } else if (code === 'CERT_REJECTED' && info.peerChain.length === 1) {
    // webpki refuses a CA certificate as a leaf before looking for its issuer; for
    // OpenSSL a self-signed one is first of all untrusted.
    const refined = refineUnknownIssuer(info.peerChain);
    if (refined === 'DEPTH_ZERO_SELF_SIGNED_CERT') code = refined;
  }
  const err = new Error(MESSAGES[code] || code.toLowerCase().replace(/_/g, ' '));
  err.code = code;
  return err;
}

// Node's getPeerCertificate() object of a certificate (what X509Certificate gives
// as its legacy object), with infoAccess as an object of lists, as Node's TLS makes it.
function legacyObject(cert) {
  const object = cert.toLegacyObject();
  if (typeof object.infoAccess === 'string') {
    const access = { __proto__: null };
    for (const line of object.infoAccess.split('\n')) {
      const at = line.indexOf(' - ');
      if (at < 0) continue;
      (access[line.slice(0, at)] ??= []).push(line.slice(at + 3));
    }
    object.infoAccess = access;
  }
  return object;
}

// getPeerCertificate(detailed): the leaf, and with `detailed` each certificate linked
// to its issuer, ending at a self-signed one (linked to itself) found in the chain or
// among the trusted certificates.
function peerCertificate(chainDer, detailed, trusted) {
  if (chainDer.length === 0) return {};
  const certs = chainDer.map((der) => new X509Certificate(der));
  const leaf = legacyObject(certs[0]);
  if (!detailed) return leaf;
  let object = leaf;
  let cert = certs[0];
  const seen = new Set([cert.fingerprint256]);
  for (;;) {
    const issuer = certs.find((c) => cert.checkIssued(c) && !seen.has(c.fingerprint256)) ||
      (isSelfSigned(cert) ? null : trusted().find((c) => cert.checkIssued(c) && !seen.has(c.fingerprint256)));
    if (!issuer) {
      if (isSelfSigned(cert)) object.issuerCertificate = object;
      return leaf;
    }
    seen.add(issuer.fingerprint256);
    const next = legacyObject(issuer);
    object.issuerCertificate = next;
    object = next;
    cert = issuer;
  }
}

module.exports = { verifyError, peerCertificate, legacyObject };
