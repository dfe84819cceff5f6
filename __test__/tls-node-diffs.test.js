'use strict';
// Differences Node's own tls/https tests found under `rsnet/register` with
// RSNET_TLS=native (issue #19), each reduced to a scenario of our own and run on Node's
// tls and on rsnet.tls: the same events, errors and outcome on both. Certificates are
// made at test time (helpers/tls-certs.js).
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { alsoUnderOtherDriver } = require('./helpers/drivers.js');
const assert = require('node:assert/strict');

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

alsoUnderOtherDriver(__filename);
