'use strict';
// rsnet.tls as a stream, against Node's tls, the four ways round: half-close, writes
// before the handshake, several MiB each way, handshake failures, an HTTPS server on
// rsnet.tls for Node's https client, and the fallback to Node's TLS for options
// rustls cannot honour.
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { alsoUnderOtherDriver } = require('./helpers/drivers.js');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const https = require('node:https');
const nodeTls = require('node:tls');

const { RSNET_IS_FALLBACK } = require('./helpers/harness.js');
const { withTimeout } = require('./helpers/parity.js');
const { which } = require('../scripts/test-services.js');
const { makeCertificates } = require('./helpers/tls-certs.js');
const { exchange, parity, TLS, T } = require('./helpers/tls-pair.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded' : which('openssl') ? false : 'no openssl CLI';
let certs;
before(() => { if (!skip) certs = makeCertificates(); });
after(() => certs?.remove());

test('half-close: the client ends, the server still answers, then ends', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.server, allowHalfOpen: true },
    clientOptions: { ca: certs.ca, servername: 'localhost', allowHalfOpen: true },
    // Written before the handshake completes, then ended at once.
    onClient: (client) => client.end('early'),
    onServerSocket: (socket) => socket.on('end', () => {
      socket.write('late');
      setTimeout(() => socket.end('bye'), 20);
    }),
  })));

test('8 MiB each way, echoed through pipe(): same bytes (SHA-256)', { skip }, (t) => {
  const BIG = crypto.randomBytes(8 * 1024 * 1024);
  const digest = crypto.createHash('sha256').update(BIG).digest('hex');
  return parity(t, async (s, c) => {
    let got;
    const seen = await exchange(s, c, {
      serverOptions: { ...certs.server, allowHalfOpen: true },
      clientOptions: { ca: certs.ca, servername: 'localhost', allowHalfOpen: true },
      onServerSocket: (socket) => socket.pipe(socket),
      onClient: (client) => {
        const hash = crypto.createHash('sha256');
        let n = 0;
        client.on('data', (d) => { hash.update(d); n += d.length; });
        client.on('end', () => { got = { n, sha: hash.digest('hex') }; });
        client.once('secureConnect', () => {
          for (let i = 0; i < BIG.length; i += 1 << 20) client.write(BIG.subarray(i, i + (1 << 20)));
          client.end();
        });
      },
    });
    assert.deepEqual(got, { n: BIG.length, sha: digest }, `${s} server / ${c} client`);
    return { events: seen.client.events, server: seen.server.events, serverBytes: seen.server.data.length };
  });
});

test('no common protocol version: the client\'s error and the server\'s tlsClientError', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.server, minVersion: 'TLSv1.3' },
    clientOptions: { ca: certs.ca, maxVersion: 'TLSv1.2' },
  }), (seen) => ({ client: seen.client.events, error: seen.client.error.code, server: seen.server.events })));

test('requestCert and rejectUnauthorized, no client certificate: the handshake fails', { skip }, (t) =>
  parity(t, (s, c) => exchange(s, c, {
    serverOptions: { ...certs.server, requestCert: true, ca: certs.ca },
    clientOptions: { ca: certs.ca },
  }), (seen) => ({ error: seen.client.error.code, server: seen.server.events })));

// An HTTPS server: Node's https.createServer, or Node's http server fed by rsnet.tls.
function httpsServer(kind, handler) {
  if (kind === 'node') return https.createServer({ ...certs.server }, handler);
  const server = TLS.rsnet.createServer({ ...certs.server });
  const httpServer = http.createServer(handler);
  server.on('secureConnection', (socket) => httpServer.emit('connection', socket));
  return server;
}

test('an HTTPS server on rsnet.tls serves Node\'s https client (keep-alive)', { skip }, async () => {
  const results = {};
  for (const kind of ['node', 'rsnet']) {
    const server = httpsServer(kind, (req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => res.end(`${req.method} ${req.url} ${body.length} ${req.socket.encrypted}`));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: certs.ca });
    const get = (path, body) => new Promise((resolve, reject) => {
      const req = https.request({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
        path, method: body ? 'POST' : 'GET', agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve(`${res.statusCode} ${text} reused:${req.reusedSocket}`));
      });
      req.on('error', reject);
      req.end(body);
    });
    results[kind] = [await withTimeout(get('/a'), T, 'first request'),
      await withTimeout(get('/b', 'x'.repeat(100_000)), T, 'second request')];
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  assert.deepEqual(results.rsnet, results.node);
  assert.deepEqual(results.node, ['200 GET /a 0 true reused:false', '200 POST /b 100000 true reused:true']);
});

test('fallback: options rustls cannot honour use Node\'s TLS over rsnet sockets', { skip }, async () => {
  const rsnet = require('..');
  const ciphers = 'ECDHE-ECDSA-AES128-GCM-SHA256';
  const server = TLS.rsnet.createServer({ ...certs.server, ciphers, maxVersion: 'TLSv1.2' }, (socket) => {
    socket.end(`${socket.getCipher().name}`);
  });
  assert.ok(server instanceof nodeTls.Server, 'a Node tls.Server');
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = TLS.rsnet.connect({ port: server.address().port, host: '127.0.0.1', ca: certs.ca,
    servername: 'localhost', ciphers, maxVersion: 'TLSv1.2' });
  assert.ok(client instanceof nodeTls.TLSSocket && !(client instanceof TLS.rsnet.TLSSocket));
  let text = '';
  client.setEncoding('utf8');
  client.on('data', (d) => { text += d; });
  await withTimeout(new Promise((resolve, reject) => {
    client.on('end', resolve);
    client.on('error', reject);
  }), T, 'fallback exchange');
  assert.equal(text, ciphers);
  assert.ok(client._parent instanceof rsnet.Socket, 'over an rsnet socket');
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

test('NODE_DEBUG=rsnet says which path and why', { skip }, () => {
  const { spawnSync } = require('node:child_process');
  const script = `const tls = require(${JSON.stringify(require.resolve('../tls.js'))});
    try { tls.createServer({ pfx: Buffer.alloc(0) }); } catch {}
    tls.createServer({ key: process.env.K, cert: process.env.C });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: T,
    env: { ...process.env, NODE_DEBUG: 'rsnet', K: certs.server.key, C: certs.server.cert } });
  assert.match(r.stderr, /tls\.createServer: Node's TLS over rsnet sockets \(option pfx\)/);
  assert.match(r.stderr, /tls\.Server: native TLS \(rustls\)/);
});

alsoUnderOtherDriver(__filename);
