'use strict';
// One TLS exchange between a server of one tls module and a client of another (Node's
// tls, the oracle, or rsnet.tls), and what each side saw, in a form the tests compare
// across the four pairings.
const assert = require('node:assert/strict');
const nodeTls = require('node:tls');
const { impls } = require('./harness.js');
const { withTimeout } = require('./parity.js');

const T = 20_000;
const TLS = {
  node: nodeTls,
  get rsnet() { return impls.rsnet.tls; },
};
/** [server, client] module names; Node↔Node first: it is the oracle. */
const PAIRS = [['node', 'node'], ['node', 'rsnet'], ['rsnet', 'node'], ['rsnet', 'rsnet']];

const cn = (cert) => (cert && cert.subject ? cert.subject.CN : null);

// The properties of a TLS socket at its secure event that must match Node's.
function secureView(socket) {
  return {
    encrypted: socket.encrypted,
    authorized: socket.authorized,
    authorizationError: socket.authorizationError ?? null,
    alpnProtocol: socket.alpnProtocol,
    servername: socket.servername,
    protocol: socket.getProtocol(),
    cipherVersion: socket.getCipher()?.version,
    peer: cn(socket.getPeerCertificate()),
  };
}

/** Runs `drive` between the two modules; resolves { client, server } observations. */
async function exchange(serverName, clientName, { serverOptions, clientOptions, onServerSocket, onClient }) {
  const server = TLS[serverName].createServer(serverOptions);
  const seen = { client: { events: [] }, server: { events: [], data: '' } };
  const serverClosed = [];
  server.on('secureConnection', (socket) => {
    seen.server.secure = secureView(socket);
    serverClosed.push(new Promise((resolve) => socket.on('close', resolve)));
    socket.on('data', (d) => { seen.server.data += d.toString('latin1'); });
    socket.on('error', (err) => seen.server.events.push(`error:${err.code}`));
    (onServerSocket || echo)(socket);
  });
  server.on('tlsClientError', (err) => seen.server.events.push(`tlsClientError:${err.code}`));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = TLS[clientName].connect({ port: server.address().port, host: '127.0.0.1', ...clientOptions });
  const events = seen.client.events;
  let data = '';
  client.on('secureConnect', () => {
    events.push('secureConnect');
    seen.client.secure = secureView(client);
  });
  client.on('data', (d) => {
    data += d.toString('latin1');
    if (events[events.length - 1] !== 'data') events.push('data');
  });
  client.on('end', () => events.push('end'));
  client.on('error', (err) => {
    events.push(`error:${err.code}`);
    seen.client.error = { code: err.code, message: err.message };
  });
  const closed = new Promise((resolve) => client.on('close', resolve));
  (onClient || ping)(client);
  await withTimeout(closed, T, `${serverName} server / ${clientName} client: client close`);
  events.push('close');
  seen.client.data = data;
  await withTimeout(Promise.all(serverClosed), T, 'server sockets closed');
  await new Promise((resolve) => server.close(resolve));
  return seen;
}

// The default dialogue: the client says ping and ends after the answer; the server
// answers and ends after the client's end.
function ping(client) {
  client.once('secureConnect', () => client.write('ping'));
  client.once('data', () => client.end());
}

function echo(socket) {
  socket.on('data', (d) => socket.write(`pong:${d}`));
  socket.on('end', () => socket.end());
}

/** Runs `scenario(serverName, clientName)` for every pairing; each must equal Node↔Node. */
async function parity(t, scenario, pick = (seen) => seen) {
  const results = {};
  for (const [s, c] of PAIRS) results[`${s}/${c}`] = pick(await scenario(s, c));
  const oracle = results['node/node'];
  t.diagnostic(`node/node: ${JSON.stringify(oracle)}`);
  for (const [name, seen] of Object.entries(results)) {
    assert.deepEqual(seen, oracle, `${name} differs from node/node`);
  }
}

module.exports = { TLS, PAIRS, exchange, parity, secureView, T };
