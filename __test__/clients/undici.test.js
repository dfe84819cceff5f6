'use strict';
// undici 7 over rsnet sockets, through its `connect` option (a connector that returns an
// `impl` socket), against Node's http server on built-in net; once with net sockets and
// once with rsnet sockets. Compared: replies, which server connection served each
// request (keep-alive reuse), pipelining, and each client socket's event sequence.
const { test } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Client, Agent, fetch } = require('undici');

const { impls, RSNET_IS_FALLBACK, withTimeout, sha256, randomBytes, SocketTrace, madeBy } = require('../helpers/clients.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : false;
const T = 15_000;
const BODY = randomBytes(3 * 1024 * 1024 + 17); // the same bytes for both runs

/**
 * Node's http server, on built-in net or fed by an rsnet server (`serverImpl`): each
 * reply names the connection that served it.
 */
async function startServer(serverImpl) {
  const conns = [];
  let pipelined = null; // resolves when /pl3 has arrived
  let pl3Arrived;
  const pl3 = new Promise((resolve) => (pl3Arrived = resolve));
  const server = http.createServer((req, res) => {
    const conn = conns.indexOf(req.socket);
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/pl3') pl3Arrived();
      if (req.url === '/pl1') {
        // Answer the first only once the third has arrived: proves they were pipelined.
        pipelined = await withTimeout(pl3.then(() => true), 3_000, '/pl3').catch(() => false);
      }
      res.setHeader('x-conn', String(conn));
      if (req.url === '/big') return res.end(body); // echo
      res.end(`${req.method} ${req.url} ${body.length} ${sha256(body).slice(0, 8)}${req.url === '/pl1' ? ` pipelined:${pipelined}` : ''}`);
    });
  });
  server.on('connection', (s) => conns.push(s));
  if (serverImpl === impls.net) {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: server.address().port, conns, close: () => server.close() };
  }
  const feeder = serverImpl.createServer((socket) => server.emit('connection', socket));
  await new Promise((resolve) => feeder.listen(0, '127.0.0.1', resolve));
  return { server, port: feeder.address().port, conns, close: () => feeder.close() };
}

/** undici's connector returning `impl` sockets; each one traced. */
function connector(impl, traces) {
  return (opts, callback) => {
    const socket = impl.connect({ host: opts.hostname, port: Number(opts.port) });
    traces.push(new SocketTrace(socket, `client ${traces.length}`));
    const onError = (err) => callback(err);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.removeListener('error', onError);
      callback(null, socket);
    });
  };
}

async function text(res) {
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, conn: res.headers['x-conn'], body: body.length > 200 ? `${body.length} bytes ${sha256(body).slice(0, 16)}` : body.toString() };
}

async function scenario(impl, serverImpl = impls.net) {
  const { server, port, conns, close } = await startServer(serverImpl);
  const traces = [];
  const seen = {};
  const client = new Client(`http://127.0.0.1:${port}`, { connect: connector(impl, traces), pipelining: 3 });
  const agent = new Agent({ connect: connector(impl, traces), connections: 1 });
  try {
    seen.get = await withTimeout(client.request({ path: '/get', method: 'GET' }).then(text), T, 'GET');
    seen.post = await withTimeout(client.request({ path: '/post', method: 'POST', body: 'hello undici' }).then(text), T, 'POST');
    seen.big = await withTimeout(client.request({ path: '/big', method: 'POST', body: BODY }).then(text), T, 'POST 3 MiB echo');
    // blocking: false, or undici waits for each response's headers before the next request.
    seen.pipelined = await withTimeout(Promise.all([1, 2, 3].map((i) => client.request({ path: `/pl${i}`, method: 'GET', blocking: false }).then(text))), T, 'pipelined GETs');
    seen.fetch = [];
    for (const p of ['/f1', '/f2']) {
      const res = await withTimeout(fetch(`http://127.0.0.1:${port}${p}`, { dispatcher: agent, method: 'POST', body: `fetch ${p}` }), T, `fetch ${p}`);
      seen.fetch.push({ status: res.status, conn: res.headers.get('x-conn'), body: await res.text() });
    }
    await withTimeout(Promise.all([client.close(), agent.close()]), T, 'close');
    await withTimeout(Promise.all(traces.map((t) => t.closed)), T, 'client sockets closed');
  } finally {
    client.destroy();
    agent.destroy();
    server.closeAllConnections();
    close();
  }
  return { seen, traces: traces.map((t) => t.toJSON()), madeBy: [...new Set(traces.map((t) => madeBy(t.socket)))], serverMadeBy: [...new Set(conns.map(madeBy))] };
}

test(`[${DRIVER}] undici Client/Agent with a connect() of net/rsnet sockets: GET, POST, 3 MiB echo, pipelining, keep-alive reuse: same over net and rsnet`, { skip, timeout: 60_000 }, async (t) => {
  const viaNet = await scenario(impls.net);
  const viaRsnet = await scenario(impls.rsnet);
  t.diagnostic(JSON.stringify(viaRsnet));
  assert.deepEqual(viaNet.madeBy, ['net']);
  assert.deepEqual(viaRsnet.madeBy, ['rsnet']);
  // Keep-alive: one connection for all of the Client's requests, one for the Agent's.
  assert.equal(viaNet.traces.length, 2);
  assert.match(viaNet.seen.pipelined[0].body, /pipelined:true$/);
  assert.deepEqual(viaRsnet.seen, viaNet.seen);
  assert.deepEqual(viaRsnet.traces, viaNet.traces);
});

test(`[${DRIVER}] undici against an http.Server fed by an rsnet server (client sockets on net, then on rsnet): same as net/net`, { skip, timeout: 60_000 }, async (t) => {
  const oracle = await scenario(impls.net, impls.net);
  for (const client of ['net', 'rsnet']) {
    const r = await scenario(impls[client], impls.rsnet);
    t.diagnostic(`client ${client}, server rsnet: ${JSON.stringify(r)}`);
    assert.deepEqual(r.madeBy, [client]);
    assert.deepEqual(r.serverMadeBy, ['rsnet']);
    assert.deepEqual(r.seen, oracle.seen, `client on ${client}`);
    assert.deepEqual(r.traces, oracle.traces, `client on ${client}`);
  }
});

alsoUnderOtherDriver(__filename);
