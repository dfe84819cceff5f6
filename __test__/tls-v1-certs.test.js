'use strict';
// X.509 v1 certificates (no extensions), which OpenSSL takes and webpki refuses:
// rsnet.tls must handshake with them and judge them as Node does, the four ways
// round (Node or rsnet server, Node or rsnet client). Node's own test certificates
// (test/fixtures/keys) are partly v1. Certificates are made here, at test time, with
// the openssl CLI: `x509 -req` without extensions gives a v1 certificate.
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { alsoUnderOtherDriver } = require('./helpers/drivers.js');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { X509Certificate } = require('node:crypto');

const { RSNET_IS_FALLBACK } = require('./helpers/harness.js');
const { which } = require('../scripts/test-services.js');
const { exchange, parity } = require('./helpers/tls-pair.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded' : which('openssl') ? false : 'no openssl CLI';

function openssl(dir, args) {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.error || r.stderr}`);
}

const KEYS = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
  rsa: ['-newkey', 'rsa:2048', '-nodes'],
  // Under webpki's 2048-bit floor, within OpenSSL's default security level (as
  // Node's test CA ca2).
  rsa1024: ['-newkey', 'rsa:1024', '-nodes'],
};

let dir;
const read = (file) => fs.readFileSync(path.join(dir, file));

// `name`.key and a CSR for CN=`cn`.
function request(name, cn, kind) {
  openssl(dir, ['req', ...KEYS[kind], '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
}

// A v1 certificate `name`.pem: self-signed, or signed by `ca` (a name made before).
// With `ext` (an extension file's text), a v3 one.
function v1(name, cn, { kind = 'ec', ca, days = 2, ext } = {}) {
  request(name, cn, kind);
  const signer = ca ? ['-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial'] : ['-signkey', `${name}.key`];
  if (ext) fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, ...signer, '-days', String(days), '-out', `${name}.pem`,
    ...(ext ? ['-extfile', `${name}.ext`] : [])]);
  return { key: read(`${name}.key`), cert: read(`${name}.pem`) };
}

let certs;
before(() => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tls-v1-'));
  openssl(dir, ['req', '-x509', ...KEYS.ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=rsnet v3 CA']);
  certs = {
    ca: read('ca.pem'),
    self: v1('self', 'localhost'),
    selfRsa: v1('self-rsa', 'localhost', { kind: 'rsa' }),
    leaf: v1('leaf', 'localhost', { ca: 'ca' }),
    v1ca: v1('v1ca', 'rsnet v1 CA', { kind: 'rsa' }),
  };
  certs.underV1 = v1('under-v1', 'localhost', { ca: 'v1ca' });
  certs.small = v1('small', 'rsnet 1024-bit CA', { kind: 'rsa1024' });
  certs.underSmall = v1('under-small', 'localhost', { ca: 'small' });
  // v3 certificates under that v1 CA, as Node's agent10 under ca2.
  certs.v3UnderSmall = v1('v3-under-small', 'localhost', { ca: 'small',
    ext: 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' });
  certs.v3ClientUnderSmall = v1('v3-client-under-small', 'rsnet client', { ca: 'small',
    ext: 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' });
  certs.client = v1('client', 'rsnet client', { ca: 'ca' });
  // Another CA with the same name as the real one: its key did not sign `leaf`.
  openssl(dir, ['req', '-x509', ...KEYS.ec, '-keyout', 'impostor.key', '-out', 'impostor.pem', '-days', '2',
    '-subj', '/CN=rsnet v3 CA']);
  certs.impostor = read('impostor.pem');
});
after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

test('the certificates made here are v1', { skip }, () => {
  for (const name of ['self', 'selfRsa', 'leaf', 'v1ca', 'underV1', 'client', 'small', 'underSmall']) {
    const text = spawnSync('openssl', ['x509', '-noout', '-text'], { input: certs[name].cert, encoding: 'utf8' });
    assert.match(text.stdout, /Version: 1 \(0x0\)/, name);
    assert.equal(new X509Certificate(certs[name].cert).subject.startsWith('CN='), true);
  }
});

// Client `options` against a server with `server` ({ key, cert }), TLS 1.3 and 1.2.
// A client that rejects the server is compared on its side only: when the server sees
// it go is a race under TLS 1.3 (as in tls-parity.test.js).
function scenario(name, server, options, pick = (seen) => seen) {
  for (const maxVersion of ['TLSv1.3', 'TLSv1.2']) {
    test(`${name} (${maxVersion})`, { skip }, (t) =>
      parity(t, (s, c) => exchange(s, c, {
        serverOptions: { ...certs[server] },
        clientOptions: { servername: 'localhost', maxVersion, ...options() },
      }), pick));
  }
}
const clientSide = (seen) => seen.client;

scenario('v1 self-signed, rejectUnauthorized: DEPTH_ZERO_SELF_SIGNED_CERT', 'self', () => ({}), clientSide);
scenario('v1 self-signed, rejectUnauthorized false: connects, authorized false', 'self',
  () => ({ rejectUnauthorized: false }));
scenario('v1 self-signed RSA, rejectUnauthorized false: connects, authorized false', 'selfRsa',
  () => ({ rejectUnauthorized: false }));
scenario('v1 self-signed, itself in ca: authorized', 'self', () => ({ ca: certs.self.cert }));
scenario('v1 leaf of a trusted v3 CA: authorized', 'leaf', () => ({ ca: certs.ca }));
scenario('v1 leaf of a trusted v1 CA: authorized', 'underV1', () => ({ ca: certs.v1ca.cert }));
scenario('v1 leaf of a trusted v1 CA with a 1024-bit RSA key: authorized', 'underSmall',
  () => ({ ca: certs.small.cert }));
scenario('v3 leaf of a trusted v1 CA with a 1024-bit RSA key: authorized', 'v3UnderSmall',
  () => ({ ca: certs.small.cert }));
scenario('v1 leaf, issuer unknown: UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'leaf',
  () => ({ rejectUnauthorized: false }));
scenario('v1 leaf, issuer unknown, rejectUnauthorized: the error', 'leaf', () => ({}), clientSide);
scenario('v1 leaf, a CA of the same name but another key: signature failure', 'leaf',
  () => ({ ca: certs.impostor, rejectUnauthorized: false }));

test('a v1 client certificate (requestCert): the server sees it authorized', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.leaf, ca: certs.ca, requestCert: true, rejectUnauthorized: false },
    clientOptions: { servername: 'localhost', ca: certs.ca, ...certs.client },
  })));

test('a v1 client certificate, requestCert and rejectUnauthorized: accepted', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.leaf, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
    clientOptions: { servername: 'localhost', ca: certs.ca, ...certs.client },
  })));

test('a v3 client certificate under a 1024-bit RSA v1 CA, requestCert and rejectUnauthorized', { skip },
  (t) => parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.leaf, ca: certs.small.cert, requestCert: true, rejectUnauthorized: true },
    clientOptions: { servername: 'localhost', ca: certs.ca, ...certs.v3ClientUnderSmall },
  })));

test('the same without rejectUnauthorized: the server judges it authorized', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.leaf, ca: certs.small.cert, requestCert: true, rejectUnauthorized: false },
    clientOptions: { servername: 'localhost', ca: certs.ca, ...certs.v3ClientUnderSmall },
  })));

alsoUnderOtherDriver(__filename);
