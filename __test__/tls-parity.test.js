'use strict';
// rsnet.tls against Node's tls, the four ways round (Node or rsnet server, Node or
// rsnet client): the same scenario must give each side the same events, data,
// properties and errors as Node↔Node. Certificates are made at test time
// (helpers/tls-certs.js).
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { alsoUnderOtherDriver } = require('./helpers/drivers.js');
const assert = require('node:assert/strict');

const { RSNET_IS_FALLBACK } = require('./helpers/harness.js');
const { which } = require('../scripts/test-services.js');
const { makeCertificates } = require('./helpers/tls-certs.js');
const { exchange, parity, TLS } = require('./helpers/tls-pair.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded' : which('openssl') ? false : 'no openssl CLI';
let certs;
before(() => { if (!skip) certs = makeCertificates(); });
after(() => certs?.remove());

const serverOf = (extra) => ({ ...certs.server, ...extra });

test('echo both ways with ALPN and SNI: same events, data and secure properties', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf({ ALPNProtocols: ['h2', 'http/1.1'] }),
    clientOptions: { ca: certs.ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] },
  })));

test('no ALPN, no SNI (an IP address): alpnProtocol and servername are false', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, { serverOptions: serverOf(), clientOptions: { ca: certs.ca } })));

test('TLS 1.2 only (maxVersion on the client)', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf(),
    clientOptions: { ca: certs.ca, servername: 'localhost', maxVersion: 'TLSv1.2' },
  })));

test('a self-signed server certificate is rejected: DEPTH_ZERO_SELF_SIGNED_CERT', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.selfSigned },
    clientOptions: { servername: 'localhost' },
  }), (seen) => seen.client));

test('a rejected server gets none of what the client wrote before the handshake ended', { skip }, (t) =>
  parity(t, async (s, c) => {
    const writes = [];
    const seen = await exchange(s, c, {
      serverOptions: { ...certs.selfSigned },
      clientOptions: { servername: 'localhost' },
      onClient: (client) => client.write('secret', (err) => writes.push(err?.code ?? null)),
    });
    return { client: seen.client, serverData: seen.server.data, writes };
  }));

test('accepted with rejectUnauthorized: false, authorized false with the reason', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.selfSigned },
    clientOptions: { servername: 'localhost', rejectUnauthorized: false },
  })));

test('a certificate of an unknown CA: UNABLE_TO_VERIFY_LEAF_SIGNATURE', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf(),
    clientOptions: { servername: 'localhost' },
  }), (seen) => seen.client));

test('hostname mismatch: ERR_TLS_CERT_ALTNAME_INVALID, same message', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf(),
    clientOptions: { ca: certs.ca, servername: 'example.com' },
  }), (seen) => seen.client));

test('checkServerIdentity can accept a mismatch', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf(),
    clientOptions: { ca: certs.ca, servername: 'example.com', checkServerIdentity: () => undefined },
  })));

test('client certificate (requestCert): the server sees it, authorized', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf({ requestCert: true, rejectUnauthorized: false, ca: certs.ca }),
    clientOptions: { ca: certs.ca, servername: 'localhost', ...certs.client },
  })));

test('requestCert, no client certificate, rejectUnauthorized false: unauthorized with a reason', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf({ requestCert: true, rejectUnauthorized: false, ca: certs.ca }),
    clientOptions: { ca: certs.ca, servername: 'localhost' },
  })));

test('a client certificate of an unknown CA, rejectUnauthorized false', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: serverOf({ requestCert: true, rejectUnauthorized: false, ca: certs.selfSigned.cert }),
    clientOptions: { ca: certs.ca, servername: 'localhost', ...certs.client },
  })));

// Runs `body` (with `tls` bound to Node's tls, then to rsnet.tls) in a child process of
// its own, against a Node server whose certificate is self-signed, logging warnings;
// returns both runs. For what Node does once per process.
function inChildBoth(body, env) {
  const { spawnSync } = require('node:child_process');
  const script = (tlsModule) => `
    const tls = ${tlsModule};
    const { key, cert } = JSON.parse(process.env.SERVER_PEMS);
    process.on('warning', (w) => console.log('warning', w.name, w.code, w.message));
    const server = require('node:tls').createServer({ key, cert }, (s) => s.end());
    server.listen(0, '127.0.0.1', () => { const port = server.address().port; ${body} });`;
  const run = (tlsModule) => spawnSync(process.execPath, ['-e', script(tlsModule)], {
    encoding: 'utf8', timeout: 20_000,
    env: { ...process.env, ...env,
      SERVER_PEMS: JSON.stringify({ key: String(certs.selfSigned.key), cert: String(certs.selfSigned.cert) }) },
  });
  return { node: run("require('node:tls')"), rsnet: run(`require(${JSON.stringify(require.resolve('../tls.js'))})`) };
}

// Two connections in turn, each printing what it was told, then the server closes.
const twoConnections = (options) => `
  let left = 2;
  for (let i = 0; i < 2; i++) {
    const c = tls.connect({ port, host: '127.0.0.1', ${options} }, () => {
      console.log('secureConnect', c.authorized, c.authorizationError);
      c.end();
    });
    c.on('close', () => { if (--left === 0) server.close(); });
  }`;

test('NODE_TLS_REJECT_UNAUTHORIZED=0: a self-signed server is accepted, with Node\'s warning, once', { skip }, () => {
  const { node, rsnet } = inChildBoth(twoConnections(''), { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
  assert.equal(node.status, 0, node.stderr);
  assert.equal(node.stdout.split('\n').filter((line) => line.startsWith('warning')).length, 1, node.stdout);
  assert.match(node.stdout, /secureConnect false DEPTH_ZERO_SELF_SIGNED_CERT/);
  assert.equal(rsnet.status, 0, rsnet.stderr);
  assert.equal(rsnet.stdout, node.stdout);
});

test('an IP address as servername: Node\'s DEP0123 warning, once', { skip }, () => {
  const { node, rsnet } = inChildBoth(twoConnections("servername: '127.0.0.1', rejectUnauthorized: false"), {});
  assert.equal(node.status, 0, node.stderr);
  assert.match(node.stdout, /^warning DeprecationWarning DEP0123 /m);
  assert.equal(node.stdout.split('\n').filter((line) => line.startsWith('warning')).length, 1, node.stdout);
  assert.equal(rsnet.status, 0, rsnet.stderr);
  assert.equal(rsnet.stdout, node.stdout);
});

test('module surface: rsnet.tls and rsnet/tls have Node\'s exports and classes', { skip }, () => {
  const rsnetTls = TLS.rsnet;
  assert.equal(require('../tls.js'), rsnetTls);
  for (const key of Object.keys(require('node:tls'))) {
    if (key === 'createSecurePair') continue;
    assert.ok(key in rsnetTls, `rsnet.tls.${key}`);
  }
  assert.equal(rsnetTls.checkServerIdentity, require('node:tls').checkServerIdentity);
  assert.equal(rsnetTls.rootCertificates, require('node:tls').rootCertificates);
  const server = rsnetTls.createServer({ ...certs.server });
  assert.ok(server instanceof rsnetTls.Server);
  assert.ok(server instanceof require('..').Server);
  assert.ok(new rsnetTls.TLSSocket() instanceof require('..').Socket);
});

test('bad input gets Node\'s own errors (a wrong passphrase, a bad PEM)', { skip }, () => {
  const { execFileSync } = require('node:child_process');
  const encrypted = execFileSync('openssl', ['pkey', '-aes256', '-passout', 'pass:secret'],
    { input: certs.server.key });
  for (const options of [{ key: encrypted, passphrase: 'wrong', cert: certs.server.cert },
    { key: 'not a key', cert: certs.server.cert }]) {
    let nodeErr;
    let rsnetErr;
    try { require('node:tls').createSecureContext(options); } catch (err) { nodeErr = err; }
    try { TLS.rsnet.createSecureContext(options); } catch (err) { rsnetErr = err; }
    assert.ok(nodeErr && rsnetErr);
    assert.equal(rsnetErr.code, nodeErr.code);
    assert.equal(rsnetErr.message, nodeErr.message);
  }
  // The right passphrase works natively.
  const ok = TLS.rsnet.createSecureContext({ key: encrypted, passphrase: 'secret', cert: certs.server.cert });
  assert.ok(ok.key.length > 0);
});

alsoUnderOtherDriver(__filename);
