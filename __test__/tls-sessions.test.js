'use strict';
// Session resumption, ticket keys, key log and exported keying material: rsnet.tls
// against Node's tls the four ways round (Node or rsnet server, Node or rsnet client),
// each pairing seeing what Node↔Node sees.
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { alsoUnderOtherDriver } = require('./helpers/drivers.js');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { RSNET_IS_FALLBACK } = require('./helpers/harness.js');
const { which } = require('../scripts/test-services.js');
const { withTimeout } = require('./helpers/parity.js');
const { makeCertificates } = require('./helpers/tls-certs.js');
const { TLS, parity, T } = require('./helpers/tls-pair.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded' : which('openssl') ? false : 'no openssl CLI';
let certs;
before(() => { if (!skip) certs = makeCertificates(); });
after(() => certs?.remove());

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

const closeServer = (server) => new Promise((resolve) => server.close(resolve));

// One connection: the client writes, the server answers and both end. Resolves what
// each side saw once both closed: the client's sessions, reuse on both sides, key log
// lines and keying material exported on each side.
async function connectOnce(serverName, clientName, port, server, clientOptions = {}) {
  const seen = { sessions: [], serverKeylog: [], clientKeylog: [] };
  const onServerKeylog = (line, socket) => seen.serverKeylog.push({ line: line.toString(), socket });
  server.on('keylog', onServerKeylog);
  const serverDone = new Promise((resolve) => {
    server.once('secureConnection', (socket) => {
      seen.serverSocket = socket;
      seen.serverReused = socket.isSessionReused();
      seen.serverExport = socket.exportKeyingMaterial(32, 'EXPORTER-rsnet-test', Buffer.from('ctx')).toString('hex');
      socket.on('data', () => socket.end('pong'));
      socket.on('error', () => {});
      socket.on('close', resolve);
    });
  });
  const client = TLS[clientName].connect({ port, host: '127.0.0.1', ca: certs.ca, servername: 'localhost',
    ...clientOptions });
  client.on('session', (session) => seen.sessions.push(session));
  if (clientOptions.keylog) client.on('keylog', (line) => seen.clientKeylog.push(line.toString()));
  client.on('secureConnect', () => {
    seen.clientReused = client.isSessionReused();
    seen.clientExport = client.exportKeyingMaterial(32, 'EXPORTER-rsnet-test', Buffer.from('ctx')).toString('hex');
    client.write('ping');
  });
  client.on('data', () => { seen.sessionAtData = client.getSession(); });
  client.on('error', (err) => { seen.error = err.code; });
  await withTimeout(new Promise((resolve) => client.on('close', resolve)), T, `${serverName}/${clientName} close`);
  await withTimeout(serverDone, T, `${serverName}/${clientName} server socket close`);
  server.off('keylog', onServerKeylog);
  seen.sessionAfterClose = client.getSession();
  return seen;
}

const serverOptions = (extra) => ({ ...certs.server, ...extra });

for (const version of ['TLSv1.3', 'TLSv1.2']) {
  test(`${version}: a client resumes the session it is given, and only that`, { skip }, (t) =>
    parity(t, async (s, c) => {
      const server = TLS[s].createServer(serverOptions());
      const port = await listen(server);
      const first = await connectOnce(s, c, port, server, { maxVersion: version });
      const plain = await connectOnce(s, c, port, server, { maxVersion: version });
      const session = first.sessions[first.sessions.length - 1];
      const resumed = await connectOnce(s, c, port, server, { maxVersion: version, session });
      await closeServer(server);
      return {
        sessionEvents: first.sessions.length,
        sessionsAreBuffers: first.sessions.every(Buffer.isBuffer),
        // The latest session, while connected; null once closed.
        getSession: first.sessionAtData?.equals(first.sessions.at(-1)),
        getSessionClosed: first.sessionAfterClose,
        first: [first.clientReused, first.serverReused],
        // Node's clients never resume on their own.
        withoutSession: [plain.clientReused, plain.serverReused],
        withSession: [resumed.clientReused, resumed.serverReused],
        // An rsnet server sends TLS 1.3 tickets on a resumed handshake too (rustls's
        // count is per server, not per handshake); OpenSSL sends none.
        sessionEventsResumed: s === 'rsnet' && version === 'TLSv1.3' ? 0 : resumed.sessions.length,
      };
    }));
}

test('two servers given the same ticket keys resume each other\'s sessions; other keys do not', { skip }, (t) =>
  parity(t, async (s, c) => {
    const keys = crypto.randomBytes(48);
    const a = TLS[s].createServer(serverOptions({ ticketKeys: keys }));
    const b = TLS[s].createServer(serverOptions());
    const portA = await listen(a);
    const portB = await listen(b);
    const before = b.getTicketKeys().equals(keys);
    b.setTicketKeys(keys);
    const first = await connectOnce(s, c, portA, a);
    const onB = await connectOnce(s, c, portB, b, { session: first.sessions.at(-1) });
    b.setTicketKeys(crypto.randomBytes(48));
    const second = await connectOnce(s, c, portA, a);
    const refused = await connectOnce(s, c, portB, b, { session: second.sessions.at(-1) });
    await closeServer(a);
    await closeServer(b);
    return {
      keysGiven: a.getTicketKeys().equals(keys),
      randomBefore: before,
      sameKeys: [onB.clientReused, onB.serverReused],
      otherKeys: [refused.clientReused, refused.serverReused],
    };
  }));

test('ticket keys: Node\'s errors for bad keys', { skip }, (t) =>
  parity(t, async (s) => {
    const server = TLS[s].createServer(serverOptions());
    const errors = [];
    for (const keys of [Buffer.alloc(10), 'x', null]) {
      try {
        server.setTicketKeys(keys);
        errors.push('none');
      } catch (err) {
        errors.push(`${err.code}: ${err.message.split('\n')[0]}`);
      }
    }
    try {
      TLS[s].createServer(serverOptions({ ticketKeys: Buffer.alloc(3) }));
    } catch (err) {
      errors.push(`${err.code}: ${err.message}`);
    }
    return errors;
  }));

const labels = (lines) => lines.map((line) => line.split(' ')[0]).sort();
const NSS_LINE = /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+\n$/;

for (const version of ['TLSv1.3', 'TLSv1.2']) {
  test(`${version}: 'keylog' on the client and on the server (with the socket): the same secrets`, { skip },
    (t) => parity(t, async (s, c) => {
      const server = TLS[s].createServer(serverOptions());
      const port = await listen(server);
      const seen = await connectOnce(s, c, port, server, { keylog: true, maxVersion: version });
      await closeServer(server);
      const serverLines = seen.serverKeylog.map((entry) => entry.line);
      return {
        clientLabels: labels(seen.clientKeylog),
        serverLabels: labels(serverLines),
        nssFormat: [...seen.clientKeylog, ...serverLines].every((line) => NSS_LINE.test(line)),
        sameSecrets: JSON.stringify([...seen.clientKeylog].sort()) === JSON.stringify([...serverLines].sort()),
        serverSocket: seen.serverKeylog.every((entry) => entry.socket === seen.serverSocket),
      };
    }));
}

test('exportKeyingMaterial: both ends derive the same bytes', { skip }, (t) =>
  parity(t, async (s, c) => {
    const server = TLS[s].createServer(serverOptions());
    const port = await listen(server);
    const results = [];
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      const seen = await connectOnce(s, c, port, server, { maxVersion: version });
      results.push({ length: seen.clientExport.length, same: seen.clientExport === seen.serverExport });
    }
    await closeServer(server);
    return results;
  }));

test('exportKeyingMaterial: Node\'s argument errors, and before the handshake', { skip }, (t) =>
  parity(t, async (s, c) => {
    const server = TLS[s].createServer(serverOptions());
    const port = await listen(server);
    const client = TLS[c].connect({ port, host: '127.0.0.1', ca: certs.ca, servername: 'localhost' });
    const errors = [];
    const attempt = (...args) => {
      try {
        client.exportKeyingMaterial(...args);
        errors.push('none');
      } catch (err) {
        errors.push(`${err.name} ${err.code}: ${err.message}`);
      }
    };
    attempt(16, 'label');
    await withTimeout(new Promise((resolve) => client.once('secureConnect', resolve)), T, 'secureConnect');
    for (const args of [[0, 'x'], [-1, 'x'], ['1', 'x'], [1, 5], [1, 'x', 's'], [1.5, 'x']]) attempt(...args);
    attempt(1, 'x', new Uint8Array(2));
    client.destroy();
    await closeServer(server);
    return errors;
  }));

test('cluster workers share ticket keys: each resumes the sessions the others made', { skip }, async () => {
  const fixture = path.join(__dirname, 'fixtures', 'tls-cluster-tickets.js');
  const run = (impl) => {
    const r = spawnSync(process.execPath, [fixture, impl, certs.dir], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `${impl}: exit ${r.status} ${r.signal}\n${r.stderr}`);
    return JSON.parse(r.stdout.trim());
  };
  const node = run('node');
  const rsnet = run('rsnet');
  // Round robin: the four connections went to both workers, and all but the first resumed.
  assert.deepEqual(node.map((c) => [c.reused, c.clientReused]), [[false, false], [true, true], [true, true], [true, true]]);
  assert.equal(new Set(node.map((c) => c.worker)).size, 2);
  assert.deepEqual(rsnet.map(({ worker, ...rest }) => rest), node.map(({ worker, ...rest }) => rest));
  assert.equal(new Set(rsnet.map((c) => c.worker)).size, 2);
});

alsoUnderOtherDriver(__filename);
