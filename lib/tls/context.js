'use strict';
// Secure contexts for rsnet's native TLS: the options of Node's
// tls.createSecureContext() turned into DER for rustls (src/core/tls), and the test of
// whether rustls can do what the options ask (`unsupportedReason`: anything else
// falls back to Node's own TLS).
//
// Certificates and keys go through Node's own crypto (X509Certificate,
// createPrivateKey with the passphrase), and the options through Node's own
// createSecureContext first, so bad input gets exactly Node's errors.

const nodeTls = require('node:tls');
const { isIP } = require('node:net');
const { X509Certificate, KeyObject, createPrivateKey } = require('node:crypto');
const { isUint8Array } = require('node:util').types;
const { readFileSync } = require('node:fs');

const { TlsContext, TlsTicketKeys } = require('../native');
const { unsupportedSession } = require('./reporting');

const VERSIONS = { __proto__: null, 'TLSv1.2': 12, 'TLSv1.3': 13 };
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

// Options whose meaning rustls has no equivalent for, or that hand rsnet an object
// only Node's OpenSSL can use.
const OPENSSL_ONLY = ['pfx', 'secureOptions', 'dhparam', 'secureProtocol', 'crl', 'clientCertEngine',
  'privateKeyEngine', 'privateKeyIdentifier', 'sigalgs', 'enableTrace', 'SNICallback',
  'requestOCSP', 'pskCallback', 'pskIdentityHint', 'socket', 'credentials'];

const toList = (value) => (value == null ? [] : Array.isArray(value) ? value : [value]);

// Why these options need Node's TLS, or null when rustls can do them all.
function unsupportedReason(options) {
  for (const name of OPENSSL_ONLY) {
    if (options[name] !== undefined && options[name] !== null && options[name] !== false &&
        options[name] !== 0) {
      return `option ${name}`;
    }
  }
  if (options.ciphers !== undefined && options.ciphers !== nodeTls.DEFAULT_CIPHERS) return 'option ciphers';
  if (options.ecdhCurve !== undefined && options.ecdhCurve !== 'auto' &&
      options.ecdhCurve !== nodeTls.DEFAULT_ECDH_CURVE) return 'option ecdhCurve';
  for (const name of ['minVersion', 'maxVersion']) {
    if (options[name] !== undefined && !(options[name] in VERSIONS)) return `${name} ${options[name]}`;
  }
  if (!(nodeTls.DEFAULT_MIN_VERSION in VERSIONS) && options.minVersion === undefined) {
    return `DEFAULT_MIN_VERSION ${nodeTls.DEFAULT_MIN_VERSION}`;
  }
  if (options.secureContext !== undefined && !(options.secureContext instanceof SecureContext)) {
    return 'a secureContext made by node:tls';
  }
  if (toList(options.key).length > 1) return 'several keys';
  if (typeof options.servername === 'string' && options.servername !== '' &&
      !isIP(options.servername) && !isRustlsDnsName(options.servername)) {
    return `servername ${JSON.stringify(options.servername)}, which rustls cannot send`;
  }
  return unsupportedSession(options.session);
}

// Whether rustls takes `name` as a DNS name for SNI (rustls-pki-types' rules): labels
// of letters, digits, '_' and inner '-', 1-63 bytes, 253 in all, and a last label that
// is not a number (decimal or 0x-hex), which OpenSSL sends as it is ('sni.0').
const DNS_LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;
const NUMERIC_LABEL = /^(\d+|0[xX][0-9A-Fa-f]*)$/;
function isRustlsDnsName(name) {
  if (name.length > 253) return false;
  const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.');
  return labels.every((label) => DNS_LABEL.test(label)) && !NUMERIC_LABEL.test(labels[labels.length - 1]);
}

// Every certificate in a PEM value (string, Buffer or a list of them), as DER.
function certificatesDer(value) {
  const out = [];
  for (const item of toList(value)) {
    const text = typeof item === 'string' ? item : Buffer.from(item).toString('latin1');
    for (const block of text.match(PEM_CERT) || []) out.push(new X509Certificate(block).raw);
  }
  return out;
}

function keyDer(key, passphrase) {
  let item = toList(key)[0];
  if (item === undefined) return undefined;
  if (item !== null && typeof item === 'object' && !isUint8Array(item) && !(item instanceof KeyObject) &&
      'pem' in item) {
    passphrase = item.passphrase ?? passphrase;
    item = item.pem;
  }
  const object = item instanceof KeyObject ? item : createPrivateKey({ key: item, passphrase });
  return object.export({ type: 'pkcs8', format: 'der' });
}

// OpenSSL sends its certificate with the issuers it finds in the context's `ca`, up
// to and including a self-signed root; peers judge that chain, so rsnet sends the same.
function completeChain(chain, ca) {
  if (chain.length === 0 || !ca || ca.length === 0) return chain;
  const pool = ca.map((der) => new X509Certificate(der));
  let last = new X509Certificate(chain[chain.length - 1]);
  const out = chain.slice();
  while (!(last.issuer === last.subject && last.checkIssued(last)) && out.length < 10) {
    const issuer = pool.find((c) => last.checkIssued(c) && !out.some((d) => d.equals(c.raw)));
    if (!issuer) break;
    out.push(issuer.raw);
    last = issuer;
  }
  return out;
}

// Node reads NODE_EXTRA_CA_CERTS when the process starts; its value then is the one
// that counts (Node has already warned if the file cannot be read).
const EXTRA_CA_FILE = process.env.NODE_EXTRA_CA_CERTS;

let defaultRoots = null;
// What Node trusts when no `ca` is given, as DER (parsed once): its bundled root
// certificates and those of the NODE_EXTRA_CA_CERTS file.
function rootsDer() {
  defaultRoots ??= [...nodeTls.rootCertificates.map((pem) => new X509Certificate(pem).raw), ...extraCaDer()];
  return defaultRoots;
}

function extraCaDer() {
  if (!EXTRA_CA_FILE) return [];
  try {
    return certificatesDer(readFileSync(EXTRA_CA_FILE, 'latin1'));
  } catch {
    return [];
  }
}

function alpnList(protocols) {
  if (protocols == null) return [];
  if (Array.isArray(protocols)) return protocols.map((p) => Buffer.from(p));
  // Node's wire format: length-prefixed names.
  const wire = Buffer.from(protocols);
  const out = [];
  for (let i = 0; i < wire.length; i += 1 + wire[i]) out.push(wire.subarray(i + 1, i + 1 + wire[i]));
  return out;
}

// What createSecureContext() returns: the DER material, and a native rustls
// configuration per side and per connection-level option (ALPN, requestCert), made
// when first used.
class SecureContext {
  constructor(options = {}) {
    const hasMaterial = options.key != null || options.cert != null || options.ca != null;
    // Node's own checks and errors (a wrong passphrase, a key that does not match
    // its certificate, a bad PEM), once per context.
    if (hasMaterial || options.ticketKeys != null) nodeTls.createSecureContext(options);
    this.roots = options.ca != null ? certificatesDer(options.ca) : null;
    this.chain = completeChain(certificatesDer(options.cert), this.roots);
    this.key = keyDer(options.key, options.passphrase);
    this.minVersion = VERSIONS[options.minVersion ?? nodeTls.DEFAULT_MIN_VERSION] ?? 12;
    this.maxVersion = VERSIONS[options.maxVersion ?? nodeTls.DEFAULT_MAX_VERSION] ?? 13;
    this.natives = new Map();
    // A server's session ticket keys, shared by its native contexts: random, or the
    // `ticketKeys` option.
    this.ticketKeys = null;
    if (options.ticketKeys != null) this.setTicketKeys(options.ticketKeys);
    // Node's SecureContext has `context`; here it is the native context of a plain
    // client, made on first use.
    this.context = null;
  }

  // The native context for one side, ALPN list, requestCert and (server)
  // rejectUnauthorized.
  native(server, alpn, requestCert, rejectUnauthorized) {
    const alpnKey = alpn.map((p) => p.toString('latin1')).join('\0');
    const key = `${server ? 's' : 'c'}${requestCert ? 'r' : ''}${rejectUnauthorized ? 'u' : ''}:${alpnKey}`;
    let native = this.natives.get(key);
    if (native === undefined) {
      native = this.nativeContext({
        server,
        chain: this.chain,
        key: this.key,
        roots: this.roots ?? rootsDer(),
        alpn,
        minVersion: this.minVersion,
        maxVersion: this.maxVersion,
        requestCert: Boolean(requestCert),
        rejectUnauthorized: Boolean(server && requestCert && rejectUnauthorized),
      });
      this.natives.set(key, native);
    }
    return native;
  }

  // rustls may refuse what OpenSSL takes (an RSA key under 2048 bits, an unusual
  // curve): such an error is marked, for the callers that can fall back.
  nativeContext(options) {
    try {
      return new TlsContext(options, options.server ? this.serverTicketKeys() : undefined);
    } catch (err) {
      err.rustlsRefused = true;
      throw err;
    }
  }

  serverTicketKeys() {
    this.ticketKeys ??= new TlsTicketKeys();
    return this.ticketKeys;
  }

  getTicketKeys() {
    return this.serverTicketKeys().get();
  }

  // Checked by Node's own tls.Server#setTicketKeys, for its errors.
  setTicketKeys(keys) {
    Reflect.apply(nodeTls.Server.prototype.setTicketKeys, { _sharedCreds: { context: { setTicketKeys() {} } } },
      [keys]);
    this.serverTicketKeys().set(Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength));
  }

  // The trusted certificates, parsed (for getPeerCertificate(true)'s issuer chain).
  trusted() {
    this.trustedCerts ??= (this.roots ?? rootsDer()).map((der) => new X509Certificate(der));
    return this.trustedCerts;
  }
}

function createSecureContext(options) {
  return new SecureContext(options);
}

// Clients share contexts: one per distinct set of credentials, a value told apart by
// identity (the same Buffer, array or KeyObject) or, for a string, by content. Node
// makes one per connection (OpenSSL 3 makes that costly); here the rustls
// configuration and the parsed trust anchors are reused (each connection still has its
// own session store: src/core/tls/extras.rs).
const ids = new WeakMap();
let nextId = 0;
function idOf(value) {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object' && typeof value !== 'function') return `${typeof value}:${value}`;
  let id = ids.get(value);
  if (id === undefined) {
    id = `#${++nextId}`;
    ids.set(value, id);
  }
  return id;
}

const MAX_CLIENT_CONTEXTS = 64;
const clientContexts = new Map();
function clientContext(options) {
  if (options.secureContext) return options.secureContext;
  const key = [options.key, options.cert, options.ca, options.passphrase, options.minVersion,
    options.maxVersion].map(idOf).join('|');
  let context = clientContexts.get(key);
  if (context === undefined) {
    context = new SecureContext(options);
    if (clientContexts.size >= MAX_CLIENT_CONTEXTS) clientContexts.delete(clientContexts.keys().next().value);
    clientContexts.set(key, context);
  }
  return context;
}

module.exports = { SecureContext, createSecureContext, clientContext, unsupportedReason, alpnList, VERSIONS };
