'use strict';
// Differences Node's own tls/https tests found under `rsnet/register` with
// RSNET_TLS=native (issue #19), each reduced to a scenario of our own and run on Node's
// tls and on rsnet.tls: the same events, errors and outcome on both. Certificates are
// made at test time (helpers/tls-certs.js).
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { alsoUnderOtherDriver } = require('./helpers/drivers.js');
const assert = require('node:assert/strict');
const { createPrivateKey } = require('node:crypto');

const { RSNET_IS_FALLBACK } = require('./helpers/harness.js');
const { which } = require('../scripts/test-services.js');
const { makeCertificates } = require('./helpers/tls-certs.js');
const { TLS, T } = require('./helpers/tls-pair.js');
const { withTimeout } = require('./helpers/parity.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded' : which('openssl') ? false : 'no openssl CLI';
let certs;
before(() => { if (!skip) certs = makeCertificates(); });
after(() => certs?.remove());

// A name lookup that answers on a later turn, as a DNS lookup does (an IP literal
// connects on the next tick, which makes Node's own TLS abort the process here).
function laterLookup(hostname, options, cb) {
  const address = { address: '127.0.0.1', family: 4 };
  setImmediate(() => (options.all ? cb(null, [address]) : cb(null, address.address, address.family)));
}

/** Runs `scenario(tlsModule)` on Node's tls, then rsnet.tls: both must see the same. */
async function sameOnBoth(t, scenario) {
  const oracle = await scenario(TLS.node);
  t.diagnostic(`node: ${JSON.stringify(oracle)}`);
  assert.deepEqual(await scenario(TLS.rsnet), oracle, 'rsnet.tls differs from node:tls');
}

// A client whose signal was aborted before tls.connect(): the Duplex destroys it at
// once, and connect() revives it (as net does), so a TCP connection opens after its
// 'close'. Node's TLS closes that connection after its 'connect', without a handshake;
// rsnet's ran the handshake and kept it open, and the server's close() never ended
// (test-tls-connect-abort-controller hung under rsnet/register).
test('tls.connect with an already aborted signal: the late connection closes, the server can close',
  { skip }, (t) => sameOnBoth(t, async (clientTls) => {
    const server = TLS.node.createServer({ ...certs.server });
    const serverSaw = [];
    server.on('secureConnection', () => serverSaw.push('secureConnection'));
    const clientError = new Promise((resolve) => server.on('tlsClientError', (err) => {
      serverSaw.push(`tlsClientError:${err.code}`);
      resolve();
    }));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ac = new AbortController();
    ac.abort();
    const client = clientTls.connect({
      port: server.address().port, host: 'localhost', lookup: laterLookup, signal: ac.signal, ca: certs.ca,
    });
    const events = [];
    for (const name of ['connect', 'secureConnect', 'end']) client.on(name, () => events.push(name));
    client.on('error', (err) => events.push(`error:${err.name}`));
    const closes = new Promise((resolve) => {
      client.on('close', () => {
        events.push('close');
        if (events.filter((e) => e === 'close').length === 2) resolve();
      });
    });
    await withTimeout(closes, T, 'the client closed twice (abort, then its late connection)');
    await withTimeout(clientError, T, 'the server saw the late connection end before its handshake');
    await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
    return { events, serverSaw, destroyed: client.destroyed };
  }));

// A key that cannot be decrypted: Node's tls.connect makes its context before
// anything else and throws; rsnet's made it on 'connect', and failed the socket later
// (test-tls-passphrase).
test('tls.connect with an encrypted key and no or a wrong passphrase throws Node\'s error at once',
  { skip }, (t) => sameOnBoth(t, (clientTls) => {
    const key = createPrivateKey(certs.client.key)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'right' });
    const thrown = [];
    for (const extra of [{}, { passphrase: 'wrong' }, { key: [{ pem: key, passphrase: 'wrong' }] }]) {
      try {
        const socket = clientTls.connect({ port: 1, host: '127.0.0.1', key, cert: certs.client.cert, ...extra });
        socket.destroy();
        thrown.push('no throw');
      } catch (err) {
        thrown.push({ name: err.name, code: err.code, message: err.message, reason: err.reason });
      }
    }
    return thrown;
  }));

// What a server was made with reaches the sockets it hands over: allowHalfOpen, and
// pauseOnConnect (a paused socket, which gives its data once resumed). rsnet's own
// server said pauseOnConnect: true always, and both its and a Node server's native
// sockets came flowing (test-tls-server-parent-constructor-options).
for (const extra of [{}, { allowHalfOpen: true, pauseOnConnect: true }]) {
  test(`server options reach its sockets: ${JSON.stringify(extra)}`, { skip }, (t) =>
    sameOnBoth(t, async (serverTls) => {
      const seen = {};
      const server = serverTls.createServer({ ...certs.server, ...extra }, (socket) => {
        seen.socket = { allowHalfOpen: socket.allowHalfOpen, isPaused: socket.isPaused() };
        socket.on('data', (d) => socket.write(`pong:${d}`));
        socket.on('end', () => socket.end());
        socket.resume();
      });
      seen.server = { allowHalfOpen: server.allowHalfOpen, pauseOnConnect: server.pauseOnConnect };
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = TLS.node.connect({ port: server.address().port, host: '127.0.0.1', ca: certs.ca });
      client.on('secureConnect', () => client.write('ping'));
      let data = '';
      client.on('data', (d) => { data += d; client.end(); });
      await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
      seen.data = data;
      await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
      return seen;
    }));
}

// A servername that is no DNS name to rustls ('sni.0': its last label is a number)
// goes as it is under OpenSSL; rustls's client cannot send it (it sent no SNI at
// all), so such a connection takes Node's TLS over an rsnet socket
// (test-https-agent-sni). The server here is Node's: a rustls server refuses such a
// name with an illegal_parameter alert, which nothing on the server can change.
test('a servername rustls cannot send (sni.0) reaches the server as OpenSSL sends it', { skip }, (t) =>
  sameOnBoth(t, async (clientTls) => {
    const names = [];
    const server = TLS.node.createServer({ ...certs.server }, (socket) => {
      names.push(socket.servername);
      socket.end();
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    for (const servername of ['sni.0', 'sni.example', 'x.0x1f']) {
      const client = clientTls.connect({ port: server.address().port, host: '127.0.0.1', servername,
        rejectUnauthorized: false });
      client.resume();
      await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
    }
    await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
    return names;
  }));

// A client certificate that is itself one of the server's trusted certificates (a
// self-signed one given as `ca`): OpenSSL takes it, webpki refused it as a CA
// certificate used as a leaf, so the server's handshake failed (test-tls-passphrase).
test('requestCert + rejectUnauthorized: a trusted self-signed client certificate is accepted', { skip }, (t) =>
  sameOnBoth(t, async (serverTls) => {
    const seen = [];
    const server = serverTls.createServer({
      ...certs.server, ca: [certs.ca, certs.selfSigned.cert], requestCert: true, rejectUnauthorized: true,
    }, (socket) => {
      seen.push({ authorized: socket.authorized, peer: socket.getPeerCertificate().subject?.CN });
      socket.end();
    });
    server.on('tlsClientError', (err) => seen.push(`tlsClientError:${err.code}`));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = TLS.node.connect({ port: server.address().port, host: '127.0.0.1', ca: certs.ca,
      ...certs.selfSigned });
    client.on('error', (err) => seen.push(`client error:${err.code}`));
    client.resume();
    await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
    await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
    return seen;
  }));

// NODE_EXTRA_CA_CERTS: Node trusts the file's certificates beside its bundled roots
// when a connection gives no `ca`; rsnet's native client trusted only the bundled ones
// (test-tls-env-extra-ca). Node reads the variable at start-up: so a process of its own.
test('NODE_EXTRA_CA_CERTS: a server signed by the extra CA is trusted without `ca`', { skip }, () => {
  const { spawnSync } = require('node:child_process');
  const script = (tlsModule) => `
    const tls = ${tlsModule};
    const { key, cert } = JSON.parse(process.env.SERVER_PEMS);
    const server = require('node:tls').createServer({ key, cert }, (s) => s.end());
    server.listen(0, '127.0.0.1', () => {
      const c = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
        rejectUnauthorized: false }, () => {
        console.log('secureConnect', c.authorized, c.authorizationError,
          c.getPeerCertificate(true).issuerCertificate?.subject?.CN);
        c.end();
      });
      c.on('close', () => server.close());
    });`;
  const caFile = require('node:path').join(certs.dir, 'ca.pem');
  const run = (tlsModule, extra) => spawnSync(process.execPath, ['-e', script(tlsModule)], {
    encoding: 'utf8', timeout: 20_000,
    env: { ...process.env, ...extra, SERVER_PEMS: JSON.stringify({ key: String(certs.server.key), cert: String(certs.server.cert) }) },
  });
  const rsnetTls = `require(${JSON.stringify(require.resolve('../tls.js'))})`;
  for (const extra of [{ NODE_EXTRA_CA_CERTS: caFile }, {}]) {
    const node = run("require('node:tls')", extra);
    assert.equal(node.status, 0, node.stderr);
    const rsnet = run(rsnetTls, extra);
    assert.equal(rsnet.status, 0, rsnet.stderr);
    assert.equal(rsnet.stdout, node.stdout, JSON.stringify(extra));
  }
  assert.match(run(rsnetTls, { NODE_EXTRA_CA_CERTS: caFile }).stdout, /^secureConnect true null rsnet test CA/);
});

// A client that cannot do TLS 1.2 (a TLS 1.0/1.1 client, on Node's TLS): OpenSSL's
// server answers with a protocol_version alert; rustls looked for a common cipher
// suite first and answered handshake_failure (test-tls-min-max-version and the
// test-tls-cli-* files that run it).
test('a TLS 1.1 client gets a protocol_version alert, the server ERR_SSL_UNSUPPORTED_PROTOCOL', { skip }, (t) =>
  sameOnBoth(t, async (serverTls) => {
    const seen = [];
    const server = serverTls.createServer({ ...certs.server }, () => seen.push('secureConnection'));
    server.on('tlsClientError', (err) => seen.push(`server:${err.code}`));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = TLS.node.connect({ port: server.address().port, host: '127.0.0.1', ca: certs.ca,
      minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    client.on('error', (err) => seen.push(`client:${err.code}`));
    await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
    await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
    return seen.sort();
  }));

// Bytes that are no TLS at all (junk, an HTTP request, a proxy's CONNECT): OpenSSL
// fails with its own reason and sends no alert, so the peer sees the connection end
// with nothing to read; rustls sent a decode_error alert, which a peer that never
// reads kept unread, never seeing 'end' (test-tls-junk-closes-server hung).
test('a server reading bytes that are no TLS: tlsClientError with OpenSSL\'s reason, no alert, then end',
  { skip }, (t) => sameOnBoth(t, async (serverTls) => {
    const seen = [];
    const server = serverTls.createServer({ ...certs.server }, () => seen.push('secureConnection'));
    server.on('tlsClientError', (err) => seen.push({ code: err.code, library: err.library, reason: err.reason,
      keys: Object.keys(err), message: new RegExp(`SSL routines:[^:]*:${err.reason}`).test(err.message) }));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    for (const junk of ['blah\nblah\nblah\n', 'GET / HTTP/1.1\r\n\r\n', 'CONNECT x:443 HTTP/1.1\r\n\r\n']) {
      const client = require('node:net').connect(server.address().port, '127.0.0.1', () => client.write(junk));
      const got = [];
      client.on('data', (d) => got.push(d.toString('hex')));
      client.on('end', () => got.push('end'));
      client.on('error', (err) => got.push(`error:${err.code}`));
      await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
      seen.push(got);
    }
    await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
    return seen;
  }));

// A client answered in plaintext (test-tls-junk-server): 'wrong version number'.
test('a client reading a plaintext answer fails with ERR_SSL_WRONG_VERSION_NUMBER', { skip }, (t) =>
  sameOnBoth(t, async (clientTls) => {
    const server = require('node:net').createServer((s) => {
      s.once('data', () => s.end('I was waiting for you, hello!'));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = clientTls.connect({ port: server.address().port, host: '127.0.0.1', ca: certs.ca });
    const seen = [];
    client.on('secureConnect', () => seen.push('secureConnect'));
    client.on('error', (err) => seen.push({ code: err.code, library: err.library, reason: err.reason,
      message: /SSL routines:[^:]*:wrong version number/.test(err.message) }));
    await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
    await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
    return seen;
  }));

// The server's last data and close_notify arrive together, and the client calls end()
// on that data. Node's TLS reads the close_notify in the same pass as the data: 'end'
// comes before 'finish' (whose shutdown completes after the turn's reads). The native
// client told the close_notify's EOF on the next turn, after 'finish', and code that
// destroys the socket on 'finish' (Node's http client) saw no 'end'. "Together": a
// proxy holds what the server sends after the handshake and hands it on in one write
// once the server ended (a client reading on another thread would otherwise read the
// data before the close_notify is sent).
function holdingProxy(port) {
  const hold = { on: false };
  const proxy = require('node:net').createServer((inbound) => {
    const outbound = require('node:net').connect(port, '127.0.0.1');
    const held = [];
    inbound.pipe(outbound);
    outbound.on('data', (d) => (hold.on ? held.push(d) : inbound.write(d)));
    outbound.on('end', () => inbound.end(Buffer.concat(held)));
    for (const [a, b] of [[inbound, outbound], [outbound, inbound]]) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  return { proxy, hold };
}

for (const onFinish of ['nothing', 'destroy']) {
  test(`a client ending on data that came with close_notify: 'end' before 'finish' (on finish: ${onFinish})`,
    { skip }, (t) => sameOnBoth(t, async (clientTls) => {
      const server = TLS.node.createServer({ ...certs.server }, (socket) => {
        socket.once('data', () => socket.end('bye'));
        socket.on('error', () => {});
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { proxy, hold } = holdingProxy(server.address().port);
      await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const client = clientTls.connect({ port: proxy.address().port, host: '127.0.0.1', ca: certs.ca,
        servername: 'localhost' });
      const events = [];
      client.on('secureConnect', () => {
        hold.on = true;
        client.write('go');
      });
      client.on('data', (d) => {
        events.push(`data:${d}`);
        client.end();
      });
      for (const name of ['end', 'finish', 'close']) client.on(name, () => events.push(name));
      client.on('error', (err) => events.push(`error:${err.code}`));
      if (onFinish === 'destroy') client.on('finish', () => client.destroy());
      await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
      await withTimeout(new Promise((resolve) => proxy.close(resolve)), T, 'proxy close');
      await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
      return events;
    }));
}

// requestCert + rejectUnauthorized, a client certificate the server does not trust:
// OpenSSL under Node completes the handshake (Node's verify callback accepts every
// chain) and Node's server destroys the socket after it, so the client sees its
// connection reset; rustls refused the chain in the handshake with an alert
// (test-tls-client-auth, "Fail to complete client's chain"). TLS 1.3 only: under 1.2
// OpenSSL's server never sends its Finished (Node destroys the socket before it is
// flushed), while rustls's has left before JS judges the chain.
for (const maxVersion of ['TLSv1.3']) {
  test(`requestCert + rejectUnauthorized, an untrusted client certificate: the server destroys it after the handshake (${maxVersion})`,
    { skip }, (t) => sameOnBoth(t, async (serverTls) => {
      const seen = [];
      const server = serverTls.createServer({
        ...certs.server, ca: [certs.selfSigned.cert], requestCert: true, rejectUnauthorized: true, maxVersion,
      }, () => seen.push('secureConnection'));
      server.on('tlsClientError', (err) => seen.push(`tlsClientError:${err.code}`));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = TLS.node.connect({ port: server.address().port, host: '127.0.0.1', ca: certs.ca,
        servername: 'localhost', ...certs.client });
      client.on('secureConnect', () => seen.push('client secureConnect'));
      client.on('error', (err) => seen.push(`client error:${err.code}`));
      client.resume();
      await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, 'client close');
      await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
      return seen;
    }));
}

// getEphemeralKeyInfo(): a client's key exchange group (X25519 by default, P-256 or
// P-384 when the server prefers it, under TLS 1.3 and 1.2), {} before the handshake,
// null on the server and once closed; rsnet's answered {} on every socket.
test('getEphemeralKeyInfo: the client\'s key exchange group, {} before, null on the server and once closed',
  { skip }, (t) => sameOnBoth(t, async (clientTls) => {
    const seen = [];
    for (const extra of [{}, { maxVersion: 'TLSv1.2' }]) {
      for (const ecdhCurve of [undefined, 'P-256', 'P-384']) {
        const server = TLS.node.createServer({ ...certs.server, ...extra, ...(ecdhCurve ? { ecdhCurve } : {}) });
        const serverInfo = new Promise((resolve) => server.on('secureConnection', (s) => {
          resolve(s.getEphemeralKeyInfo());
          s.end();
        }));
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        const client = clientTls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca });
        const before = client.getEphemeralKeyInfo();
        await withTimeout(new Promise((resolve, reject) => {
          client.once('secureConnect', resolve);
          client.once('error', reject);
        }), T, 'secureConnect');
        const during = client.getEphemeralKeyInfo();
        const onServer = await withTimeout(serverInfo, T, 'the server\'s secureConnection');
        client.destroy();
        await withTimeout(new Promise((resolve) => client.once('close', resolve)), T, 'client close');
        seen.push({ extra, ecdhCurve, before, during, server: onServer, closed: client.getEphemeralKeyInfo() });
        await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
      }
    }
    return seen;
  }));

// A server that ends with a large write: its last records and close_notify come in one
// read, behind the session tickets' news (an empty read). rsnet's client took the news
// read for the one telling where the close_notify sat and ended the stream 16 KiB
// early, then pushed after EOF (found by test-tls-onread-static-buffer).
test('a server\'s end(large) reaches a client whole, in \'data\' and through onread with pauses',
  { skip }, (t) => sameOnBoth(t, async (tlsModule) => {
    const seen = [];
    for (const size of [11, 65536, 65537, 1024 * 1024 + 7]) {
      for (const mode of ['data', 'onread', 'onread-paused']) {
        const payload = Buffer.alloc(size, `${size}:${mode}|`);
        const server = tlsModule.createServer({ ...certs.server }, (s) => s.end(payload));
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        const parts = [];
        let paused = false;
        const onread = {
          buffer: Buffer.alloc(64),
          callback: (n, buf) => {
            parts.push(Buffer.from(buf.subarray(0, n)));
            if (mode === 'onread-paused' && !paused) {
              paused = true;
              client.pause();
              setTimeout(() => client.resume(), 20);
            }
          },
        };
        const client = tlsModule.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca,
          ...(mode === 'data' ? {} : { onread }) });
        if (mode === 'data') client.on('data', (d) => parts.push(d));
        const errors = [];
        client.on('error', (err) => errors.push(err.code));
        await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, `${size} ${mode}: close`);
        const got = Buffer.concat(parts);
        seen.push({ size, mode, received: got.length, same: got.equals(payload), errors });
        await withTimeout(new Promise((resolve) => server.close(resolve)), T, 'server close');
      }
    }
    return seen;
  }));

alsoUnderOtherDriver(__filename);
