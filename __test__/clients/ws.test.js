'use strict';
// ws 8 both ways over rsnet sockets, against the same over `net`: a WebSocketServer on
// an http.Server fed by an `impl` server, and a WebSocket client whose `createConnection`
// returns `impl` sockets. Text and binary messages, the close handshake started by either
// side, and each raw socket's event sequence around the close.
//
// Reported under the threaded driver: a socket emitting 'end' before 'finish' after the
// close handshake (net and the loop driver emit 'finish' first). These tests check that
// order on both raw sockets, for the close started by either side, in all pairs.
const { test } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');
const http = require('node:http');
const { WebSocket, WebSocketServer } = require('ws');

const { impls, RSNET_IS_FALLBACK, withTimeout, sha256, randomBytes, SocketTrace, madeBy } = require('../helpers/clients.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : false;
const T = 15_000;
const BINARY = randomBytes(1024 * 1024 + 3); // the same bytes for both runs

const summary = (data, isBinary) => (isBinary ? `binary ${data.length} ${sha256(data).slice(0, 12)}` : `text ${data.toString()}`);

/**
 * The client sends a text and a binary message; the server echoes each. Then `closer`
 * ('client' | 'server') starts the close handshake; or ('client at once' | 'server at
 * once') it starts right after the upgrade, with no message. Resolves what both ends saw.
 */
async function scenario(clientImpl, serverImpl, closer) {
  const httpServer = http.createServer((req, res) => res.end('not a websocket'));
  const wss = new WebSocketServer({ server: httpServer });
  const traces = {};
  const seen = { client: [], server: [] };
  const server = serverImpl.createServer((socket) => {
    traces.server = new SocketTrace(socket, 'server raw');
    httpServer.emit('connection', socket);
  });
  let serverClosed;
  const serverClose = new Promise((resolve) => (serverClosed = resolve));
  wss.on('connection', (ws) => {
    seen.server.push('connection');
    if (closer === 'server at once') ws.close(1001, 'server going away');
    ws.on('message', (data, isBinary) => {
      seen.server.push(summary(data, isBinary));
      if (!isBinary && data.toString() === 'please close') ws.close(1001, 'server going away');
      else ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => {
      seen.server.push(`close ${code} ${reason}`);
      serverClosed();
    });
    ws.on('error', (err) => seen.server.push(`error ${err.code || err.message}`));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`, {
    createConnection: (opts) => {
      const socket = clientImpl.connect({ host: opts.host, port: opts.port });
      traces.client = new SocketTrace(socket, 'client raw');
      return socket;
    },
  });
  const clientClose = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      seen.client.push(`close ${code} ${reason}`);
      resolve();
    });
  });
  ws.on('error', (err) => seen.client.push(`error ${err.code || err.message}`));
  const echoes = new Promise((resolve) => {
    ws.on('message', (data, isBinary) => {
      seen.client.push(summary(data, isBinary));
      if (seen.client.filter((s) => !s.startsWith('open')).length === 2) resolve();
    });
  });
  try {
    await withTimeout(new Promise((resolve) => ws.once('open', resolve)), T, 'open');
    seen.client.push('open');
    if (closer === 'client at once') ws.close(1000, 'client done');
    if (!closer.endsWith('at once')) {
      ws.send('hello ws');
      ws.send(BINARY);
      await withTimeout(echoes, T, 'echoes');
      if (closer === 'client') ws.close(1000, 'client done');
      else ws.send('please close');
    }
    await withTimeout(Promise.all([clientClose, serverClose]), T, 'close handshake');
    await withTimeout(Promise.all([traces.client.closed, traces.server.closed]), T, 'raw sockets closed');
  } finally {
    ws.terminate();
    wss.close();
    server.close();
  }
  return {
    seen,
    traces: { client: traces.client.toJSON(), server: traces.server.toJSON() },
    madeBy: [madeBy(traces.client.socket), madeBy(traces.server.socket)],
  };
}

// Byte counts of 'data' events are left out. The server's: http.Server reads a built-in
// net socket's upgrade request through its native handle (no 'data'), an rsnet socket's
// through 'data'. The client's: when the 101 response and the first frame arrive in one
// read, Node's http client unshift()s the frame back and it is emitted twice, so the
// count depends on how TCP coalesced them (the threaded driver may read the two apart).
// The messages themselves are compared in `seen`.
const comparable = (r) => ({ seen: r.seen, client: r.traces.client.events, server: r.traces.server.events });

for (const closer of ['client', 'server', 'client at once', 'server at once']) {
  test(`[${DRIVER}] ws over net/rsnet both ways, ${closer.endsWith('at once') ? 'no message' : 'text + 1 MiB binary echoed'}, ${closer.replace(' at once', '')} starts the close handshake${closer.endsWith('at once') ? ' at once' : ''}: same messages and per-socket events over net and rsnet`, { skip, timeout: 60_000 }, async (t) => {
    const oracle = await scenario(impls.net, impls.net, closer);
    t.diagnostic(`net/net:     ${JSON.stringify(oracle.traces)}`);
    assert.deepEqual(oracle.madeBy, ['net', 'net']);
    const failures = [];
    for (const [c, s] of [['rsnet', 'rsnet'], ['rsnet', 'net'], ['net', 'rsnet']]) {
      const r = await scenario(impls[c], impls[s], closer);
      t.diagnostic(`${c}/${s}: ${JSON.stringify(r.traces)}`);
      assert.deepEqual(r.madeBy, [c, s]);
      try {
        assert.deepEqual(comparable(r), comparable(oracle));
      } catch (err) {
        failures.push(`client on ${c}, server on ${s}: ${err.message}`);
      }
    }
    assert.deepEqual(failures, []);
  });
}

alsoUnderOtherDriver(__filename);
