'use strict';
// The race behind the tls half-close difference (clients/tls.test.js), on plain sockets:
// the client writes, and ends on the next check phase; the server (same process) answers
// the data at once. With net the client's 'finish' (its FIN's shutdown completed) always
// comes before the answer's 'data': libuv completes the shutdown before it polls for
// reads again. Rounds, because an implementation that loses the race only sometimes
// must still fail here.
const { test } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');

const { impls, RSNET_IS_FALLBACK, withTimeout } = require('../helpers/clients.js');

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : false;
const ROUNDS = 100;

async function round(clientImpl, serverImpl) {
  const events = [];
  const server = serverImpl.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', () => s.write('answer'));
    s.on('end', () => s.end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const c = clientImpl.connect({ port: server.address().port, host: '127.0.0.1', allowHalfOpen: true }, () => {
    c.write('x');
    setImmediate(() => c.end());
  });
  for (const e of ['data', 'end', 'finish']) c.on(e, () => events.push(e));
  c.on('error', (err) => events.push(`error:${err.code}`));
  await withTimeout(new Promise((resolve) => c.on('close', resolve)), 10_000, 'client close');
  await new Promise((resolve) => server.close(resolve));
  return events.join(' ');
}

async function tally(clientImpl, serverImpl) {
  const seen = {};
  for (let i = 0; i < ROUNDS; i++) {
    const k = await round(clientImpl, serverImpl);
    seen[k] = (seen[k] || 0) + 1;
  }
  return seen;
}

test(`[${DRIVER}] write, end() on the next check phase, the peer answers at once: 'finish' before the answer's 'data', in every round, as with net`, { skip, timeout: 120_000 }, async (t) => {
  const oracle = await tally(impls.net, impls.net);
  t.diagnostic(`net/net: ${JSON.stringify(oracle)}`);
  assert.deepEqual(oracle, { 'finish data end': ROUNDS });
  const failures = [];
  for (const [c, s] of [['rsnet', 'rsnet'], ['rsnet', 'net']]) {
    const seen = await tally(impls[c], impls[s]);
    t.diagnostic(`client ${c}, server ${s}: ${JSON.stringify(seen)}`);
    if (JSON.stringify(seen) !== JSON.stringify(oracle)) failures.push(`client on ${c}, server on ${s}: ${JSON.stringify(seen)}`);
  }
  assert.deepEqual(failures, []);
});

alsoUnderOtherDriver(__filename);
