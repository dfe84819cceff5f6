'use strict';
// undici 7 over TLS with rsnet's NATIVE TLS, against the same over Node's TLS: an https
// server (Node's http server fed by a TLS server of either kind), and undici's Client
// and Agent (fetch) whose `connect` is either kind's tls.connect. All four pairs: GET,
// POST, a 3 MiB echo, pipelining, keep-alive reuse, fetch(), and a refused certificate.
// Certificates are made at test time with the openssl CLI.
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');
const { Client, Agent, fetch } = require('undici');

const { RSNET_IS_FALLBACK, withTimeout, sha256, randomBytes, SocketTrace, tlsImpls, tlsMadeBy, startHttpsServer } = require('../helpers/clients.js');
const { makeCertificates } = require('../helpers/tls-certs.js');
const { which } = require('../../scripts/test-services.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : which('openssl') ? false : 'no openssl CLI to make test certificates (scripts/test-services.js installs it)';
const T = 20_000;
const BODY = randomBytes(3 * 1024 * 1024 + 17); // the same bytes for every run

let certs;
before(() => {
  if (!skip) certs = makeCertificates();
});
after(() => certs && certs.remove());

const expected = (kind) => (kind === 'rsnet' ? 'rsnet native' : 'node');

/**
 * undici's connector over `clientKind`'s tls.connect (as undici's own: ALPN http/1.1,
 * the socket handed over once secure); each socket traced.
 */
function connector(clientKind, traces, tlsOptions) {
  return (opts, callback) => {
    const socket = tlsImpls[clientKind].connect({ host: opts.hostname, port: Number(opts.port), ALPNProtocols: ['http/1.1'], ...tlsOptions });
    traces.push(new SocketTrace(socket, `client ${traces.length}`));
    const onError = (err) => callback(err);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.removeListener('error', onError);
      callback(null, socket);
    });
  };
}

// Each reply names the TLS connection that served it; /pl1 waits for /pl3 (pipelining).
function handler(req, res, conns) {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    res.setHeader('x-conn', String(conns.indexOf(req.socket)));
    if (req.url === '/big') return res.end(body); // echo
    if (req.url === '/pl1') await new Promise((resolve) => (conns.pl3 ? resolve() : (conns.onPl3 = resolve)));
    if (req.url === '/pl3') {
      conns.pl3 = true;
      if (conns.onPl3) conns.onPl3();
    }
    res.end(`${req.method} ${req.url} ${body.length} ${sha256(body).slice(0, 8)}`);
  });
}

async function text(res) {
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, conn: res.headers['x-conn'], body: body.length > 200 ? `${body.length} bytes ${sha256(body).slice(0, 16)}` : body.toString() };
}

async function scenario(serverKind, clientKind) {
  const server = await startHttpsServer(tlsImpls[serverKind], { key: certs.server.key, cert: certs.server.cert, ALPNProtocols: ['http/1.1'] }, handler);
  const traces = [];
  const tlsOptions = { ca: certs.ca, servername: 'localhost' };
  const client = new Client(`https://127.0.0.1:${server.port}`, { connect: connector(clientKind, traces, tlsOptions), pipelining: 3 });
  const agent = new Agent({ connect: connector(clientKind, traces, tlsOptions), connections: 1 });
  const seen = {};
  try {
    seen.get = await withTimeout(client.request({ path: '/get', method: 'GET' }).then(text), T, 'GET');
    seen.post = await withTimeout(client.request({ path: '/post', method: 'POST', body: 'hello undici' }).then(text), T, 'POST');
    seen.big = await withTimeout(client.request({ path: '/big', method: 'POST', body: BODY }).then(text), T, 'POST 3 MiB echo');
    // blocking: false, or undici waits for each response's headers before the next request.
    seen.pipelined = await withTimeout(Promise.all([1, 2, 3].map((i) => client.request({ path: `/pl${i}`, method: 'GET', blocking: false }).then(text))), T, 'pipelined GETs');
    seen.fetch = [];
    for (const p of ['/f1', '/f2']) {
      const res = await withTimeout(fetch(`https://127.0.0.1:${server.port}${p}`, { dispatcher: agent, method: 'POST', body: `fetch ${p}` }), T, `fetch ${p}`);
      seen.fetch.push({ status: res.status, conn: res.headers.get('x-conn'), body: await res.text() });
    }
    seen.alpn = traces.map((t) => t.socket.alpnProtocol);
    await withTimeout(Promise.all([client.close(), agent.close()]), T, 'close');
    await withTimeout(Promise.all(traces.map((t) => t.closed)), T, 'client sockets closed');
  } finally {
    client.destroy();
    agent.destroy();
    server.close();
  }
  return { seen, traces: traces.map((t) => t.toJSON()), clientTls: traces.map((t) => tlsMadeBy(t.socket)), serverTls: server.conns.map(tlsMadeBy) };
}

/** fetch() through a client of `clientKind` from a server with a self-signed certificate. */
async function refusedScenario(serverKind, clientKind) {
  const server = await startHttpsServer(tlsImpls[serverKind], certs.selfSigned, (req, res) => res.end('should not be served'));
  const traces = [];
  const agent = new Agent({ connect: connector(clientKind, traces, { ca: certs.ca, servername: 'localhost' }) });
  try {
    const err = await withTimeout(fetch(`https://127.0.0.1:${server.port}/`, { dispatcher: agent }).then(() => null, (e) => e), T, 'refused fetch');
    await withTimeout(Promise.all(traces.map((t) => t.closed)), T, 'client socket closed');
    return { error: err && `${err.name}: ${err.message}`, cause: err && err.cause && err.cause.code, clientTls: traces.map((t) => tlsMadeBy(t.socket)) };
  } finally {
    agent.destroy();
    server.close();
  }
}

const PAIRS = [['rsnet', 'node'], ['node', 'rsnet'], ['rsnet', 'rsnet']];

test(`[${DRIVER}] undici Client/Agent/fetch over TLS, server and/or client on rsnet's native TLS: GET, POST, 3 MiB echo, pipelining, keep-alive reuse: same as on Node's TLS`, { skip, timeout: 120_000 }, async (t) => {
  const oracle = await scenario('node', 'node');
  t.diagnostic(`node/node: ${JSON.stringify(oracle)}`);
  // Keep-alive: one connection for all of the Client's requests, one for the Agent's.
  assert.deepEqual(oracle.clientTls, ['node', 'node']);
  assert.deepEqual(oracle.seen.alpn, ['http/1.1', 'http/1.1']);
  for (const [serverKind, clientKind] of PAIRS) {
    const label = `server ${serverKind}, client ${clientKind}`;
    const r = await scenario(serverKind, clientKind);
    t.diagnostic(`${label}: ${JSON.stringify(r)}`);
    // The native path, asserted: else this would compare Node's TLS with itself.
    assert.deepEqual(r.serverTls, [expected(serverKind), expected(serverKind)], label);
    assert.deepEqual(r.clientTls, [expected(clientKind), expected(clientKind)], label);
    assert.deepEqual(r.seen, oracle.seen, label);
    assert.deepEqual(r.traces, oracle.traces, label);
  }
});

test(`[${DRIVER}] undici fetch over TLS refuses a self-signed certificate, server and/or client on rsnet's native TLS: same error as on Node's TLS`, { skip, timeout: 60_000 }, async () => {
  const oracle = await refusedScenario('node', 'node');
  assert.equal(oracle.cause, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  for (const [serverKind, clientKind] of PAIRS) {
    const r = await refusedScenario(serverKind, clientKind);
    assert.deepEqual(r, { ...oracle, clientTls: [expected(clientKind)] }, `server ${serverKind}, client ${clientKind}`);
  }
});

alsoUnderOtherDriver(__filename);
