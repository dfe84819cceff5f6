'use strict';
// Node's tls over rsnet sockets, both ways, against the same over `net`:
// `tls.connect({ socket })` on a client socket of `impl`, and
// `new tls.TLSSocket(socket, { isServer: true })` on a socket an `impl` server accepted.
// A self-signed certificate for 127.0.0.1 is made at test time with the openssl CLI.
// Compared: bytes both ways, half-close, a 16 MiB echo, and each TLS socket's event
// sequence (see below for the raw sockets under them).
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const { spawnSync } = require('node:child_process');

const { impls, RSNET_IS_FALLBACK, once, withTimeout, sha256, randomBytes, SocketTrace, madeBy } = require('../helpers/clients.js');
const { which } = require('../../scripts/test-services.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : which('openssl') ? false : 'no openssl CLI to make a test certificate (scripts/test-services.js installs it)';
const T = 20_000;
const BIG = randomBytes(16 * 1024 * 1024); // the same bytes for both runs

let dir;
let key;
let cert;
before(() => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tls-'));
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `openssl req failed: ${r.error || r.stderr}`);
  key = fs.readFileSync(path.join(dir, 'key.pem'));
  cert = fs.readFileSync(path.join(dir, 'cert.pem'));
});
after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

/**
 * An `impl` server whose accepted sockets are wrapped in server TLSSockets and handed to
 * `onSecure(tlsSocket)`; an `impl` client socket wrapped by tls.connect({ socket }).
 * Resolves the traces of all four sockets and what `drive(client)` returned.
 */
async function tlsPair(impl, onSecure, drive) {
  const traces = {};
  const serverSide = new Promise((resolve) => {
    const server = impl.createServer({ allowHalfOpen: true }, (raw) => {
      traces.serverRaw = new SocketTrace(raw, 'server raw');
      const s = new tls.TLSSocket(raw, { isServer: true, key, cert });
      traces.serverTls = new SocketTrace(s, 'server tls');
      s.on('secure', () => traces.serverTls.events.push('secure'));
      onSecure(s);
      server.close();
      resolve(server);
    });
    server.listen(0, '127.0.0.1', () => {
      const raw = impl.connect({ port: server.address().port, host: '127.0.0.1', allowHalfOpen: true });
      traces.clientRaw = new SocketTrace(raw, 'client raw');
      raw.once('connect', () => {
        const c = tls.connect({ socket: raw, ca: cert, servername: 'localhost' });
        traces.clientTls = new SocketTrace(c, 'client tls');
        c.on('secureConnect', () => traces.clientTls.events.push(`secureConnect:${c.authorized}:${c.getProtocol()}`));
        clientReady.resolve(c);
      });
    });
  });
  const clientReady = {};
  const client = await withTimeout(new Promise((resolve) => (clientReady.resolve = resolve)), T, 'client socket');
  await withTimeout(serverSide, T, 'server connection');
  const result = await drive(client);
  await withTimeout(Promise.all(Object.values(traces).map((t) => t.closed)), T, 'all four sockets closed');
  return {
    result,
    traces: Object.fromEntries(Object.entries(traces).map(([k, t]) => [k, t.toJSON()])),
    madeBy: [madeBy(traces.clientRaw.socket), madeBy(traces.serverRaw.socket)],
  };
}

/** Echo, then half-close: the client ends, the server still answers 'bye' and ends. */
function echoHalfClose(impl) {
  return tlsPair(
    impl,
    (s) => {
      s.setEncoding('utf8');
      s.on('data', (d) => s.write(`echo:${d}`));
      s.on('end', () => s.end('bye'));
    },
    async (c) => {
      c.setEncoding('utf8');
      let got = '';
      c.on('data', (d) => (got += d));
      await withTimeout(once(c, 'secureConnect'), T, 'secureConnect');
      c.write('hello');
      await withTimeout(new Promise((resolve) => c.on('data', () => got.includes('echo:hello') && resolve())), T, 'echo');
      c.end();
      await withTimeout(once(c, 'end'), T, "client 'end' after the server's bye");
      return { got, finishedBeforeEnd: c.writableFinished };
    },
  );
}

/** 16 MiB from the client, echoed back by the server with pipe(), then both end. */
function bigEcho(impl) {
  return tlsPair(
    impl,
    (s) => s.pipe(s),
    async (c) => {
      const chunks = [];
      c.on('data', (d) => chunks.push(d));
      await withTimeout(once(c, 'secureConnect'), T, 'secureConnect');
      c.end(BIG);
      await withTimeout(once(c, 'end'), 60_000, 'the whole echo');
      const back = Buffer.concat(chunks);
      return { length: back.length, same: sha256(back) === sha256(BIG) };
    },
  );
}

function checkPair(viaNet, viaRsnet) {
  assert.deepEqual(viaNet.madeBy, ['net', 'net']);
  assert.deepEqual(viaRsnet.madeBy, ['rsnet', 'rsnet']);
  assert.deepEqual(viaRsnet.result, viaNet.result);
  // The TLS sockets must behave the same. Their raw sockets cannot be compared: tls
  // takes a net.Socket's native handle over (the raw socket then emits nothing but
  // 'close'), while any other stream, rsnet's included, is driven through Node's
  // JSStreamSocket (reads with 'data', writes with write(), end()). So over rsnet the raw
  // sockets must carry the TLS records (more bytes than the payload) and close cleanly.
  assert.deepEqual({ clientTls: viaRsnet.traces.clientTls, serverTls: viaRsnet.traces.serverTls }, { clientTls: viaNet.traces.clientTls, serverTls: viaNet.traces.serverTls });
  for (const raw of [viaRsnet.traces.clientRaw, viaRsnet.traces.serverRaw]) {
    assert.ok(raw.bytes > viaNet.traces.serverTls.bytes, `${raw.label} carried ${raw.bytes} bytes`);
    assert.equal(raw.events.filter((e) => e.startsWith('error')).length, 0, `${raw.label}: ${raw.events}`);
    assert.equal(raw.events[raw.events.length - 1], 'close:false', `${raw.label}: ${raw.events}`);
  }
}

// Rounds: the client TLS socket's 'finish' against the server's answer to its close_notify
// is a race that net always wins the same way (its FIN's completion comes before any later
// read); an implementation that only sometimes loses it must still fail here.
for (const [name, scenario, rounds] of [
  ['echo and half-close (client ends first, server answers after its end), 60 rounds', echoHalfClose, 60],
  ['16 MiB echoed back through pipe()', bigEcho, 1],
]) {
  test(`[${DRIVER}] tls over net/rsnet sockets both ways: ${name}: same over net and rsnet`, { skip, timeout: 120_000 }, async (t) => {
    const failures = new Map();
    for (let round = 0; round < rounds; round++) {
      const viaNet = await scenario(impls.net);
      const viaRsnet = await scenario(impls.rsnet);
      if (round === 0) {
        t.diagnostic(`net:   ${JSON.stringify(viaNet.traces)}`);
        t.diagnostic(`rsnet: ${JSON.stringify(viaRsnet.traces)}`);
      }
      try {
        checkPair(viaNet, viaRsnet);
      } catch (err) {
        failures.set(err.message, (failures.get(err.message) || 0) + 1);
      }
    }
    const report = [...failures].map(([message, n]) => `${n} of ${rounds} rounds: ${message}`);
    assert.deepEqual(report, []);
  });
}

alsoUnderOtherDriver(__filename);
