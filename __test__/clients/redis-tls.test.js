'use strict';
// ioredis 5 with `tls` against a real redis-server that speaks only TLS (`--port 0
// --tls-port`, certificates made at test time with the openssl CLI), once over Node's
// TLS and once over rsnet's NATIVE TLS: the same replies, pub/sub messages, 8 MiB value,
// client and stream events. ioredis makes its stream with the `Connector` option: a
// copy of its StandaloneConnector (which calls node:tls's connect with the `tls`
// options) that calls either kind's tls.connect.
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');
const path = require('node:path');
const Redis = require('ioredis');
const StandaloneConnector = require('ioredis/built/connectors/StandaloneConnector').default;

const { RSNET_IS_FALLBACK, once, withTimeout, sha256, randomBytes, SocketTrace, tlsImpls, tlsMadeBy } = require('../helpers/clients.js');
const { redisSkipReason, startRedis } = require('../helpers/services.js');
const { makeCertificates } = require('../helpers/tls-certs.js');
const { which } = require('../../scripts/test-services.js');

const skip = redisSkipReason() || (RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : false) ||
  (which('openssl') ? false : 'no openssl CLI to make test certificates (scripts/test-services.js installs it)');
const T = 15_000;
const BIG = randomBytes(8 * 1024 * 1024); // the same bytes for both runs

let certs;
before(() => {
  if (!skip) certs = makeCertificates();
});
after(() => certs && certs.remove());

function startTlsRedis() {
  return startRedis({ tls: {
    certFile: path.join(certs.dir, 'server.pem'),
    keyFile: path.join(certs.dir, 'server.key'),
    caFile: path.join(certs.dir, 'ca.pem'),
    ca: certs.ca,
  } });
}

/** An ioredis Connector whose TLS streams come from `kind`'s tls.connect; each one traced. */
function connectorFor(kind, streams) {
  return class TlsConnector extends StandaloneConnector {
    connect(_) {
      this.connecting = true;
      const { port, host, tls } = this.options;
      return new Promise((resolve, reject) => {
        process.nextTick(() => {
          if (!this.connecting) return reject(new Error('Connection is closed.'));
          this.stream = tlsImpls[kind].connect({ port, host, ...tls });
          streams.push(new SocketTrace(this.stream, `stream ${streams.length}`));
          this.stream.once('error', (err) => {
            this.firstError = err;
          });
          resolve(this.stream);
        });
      });
    }
  };
}

function clientEvents(client) {
  const events = [];
  for (const e of ['connect', 'ready', 'close', 'reconnecting', 'end']) client.on(e, () => events.push(e));
  client.on('error', (err) => events.push(`error:${err.code || err.message}`));
  return events;
}

function newClient(kind, port, streams) {
  return new Redis({
    port,
    host: '127.0.0.1',
    tls: { ca: certs.ca, servername: 'localhost' },
    Connector: connectorFor(kind, streams),
    retryStrategy: () => null, // a lost connection is a failure here
    maxRetriesPerRequest: 0,
  });
}

async function commandsScenario(kind) {
  const server = await startTlsRedis();
  const streams = [];
  const client = newClient(kind, server.port, streams);
  const events = clientEvents(client);
  const seen = {};
  try {
    await withTimeout(once(client, 'ready'), T, 'ready');
    seen.tls = { authorized: client.stream.authorized, protocol: client.stream.getProtocol() };
    seen.set = await client.set('greeting', 'hello');
    seen.get = await client.get('greeting');
    seen.missing = await client.get('nope');
    seen.pipeline = await withTimeout(client.pipeline().set('n', '1').incr('n').incrby('n', 40).get('n').del('n').exec(), T, 'pipeline');
    seen.multi = await client.multi().set('m', 'x').append('m', 'yz').get('m').exec();
    seen.err = await client.incr('greeting').catch((e) => `${e.name}: ${e.message}`);
    seen.bigSet = await withTimeout(client.set('big', BIG), 30_000, 'SET 8 MiB');
    const back = await withTimeout(client.getBuffer('big'), 30_000, 'GET 8 MiB');
    seen.big = { length: back.length, same: sha256(back) === sha256(BIG) };
    seen.strlen = await client.strlen('big');
    await withTimeout(client.quit(), T, 'quit');
    await withTimeout(Promise.all(streams.map((s) => s.closed)), T, 'stream close');
  } finally {
    client.disconnect();
    await server.stop();
  }
  return { seen, clientEvents: events, streams: streams.map((s) => s.events), madeBy: streams.map((s) => tlsMadeBy(s.socket)) };
}

async function pubsubScenario(kind) {
  const server = await startTlsRedis();
  const streams = [];
  const sub = newClient(kind, server.port, streams);
  const pub = newClient(kind, server.port, streams);
  const seen = { messages: [], pmessages: [] };
  try {
    await withTimeout(Promise.all([once(sub, 'ready'), once(pub, 'ready')]), T, 'ready');
    seen.subscribed = await sub.subscribe('news', 'sport');
    seen.psubscribed = await sub.psubscribe('w*');
    const allIn = new Promise((resolve) => {
      const check = () => seen.messages.length === 3 && seen.pmessages.length === 1 && resolve();
      sub.on('message', (ch, msg) => {
        seen.messages.push([ch, msg.length > 100 ? `${msg.length} chars` : msg]);
        check();
      });
      sub.on('pmessage', (pattern, ch, msg) => {
        seen.pmessages.push([pattern, ch, msg]);
        check();
      });
    });
    seen.receivers = [
      await pub.publish('news', 'first'),
      await pub.publish('sport', 'x'.repeat(100_000)),
      await pub.publish('weather', 'rain'),
      await pub.publish('news', 'é ✓'),
      await pub.publish('nobody', 'lost'),
    ];
    await withTimeout(allIn, T, 'pub/sub messages');
    seen.unsubscribed = await sub.unsubscribe('news');
    seen.afterUnsub = await pub.publish('news', 'late');
    await withTimeout(Promise.all([sub.quit(), pub.quit()]), T, 'quit');
    await withTimeout(Promise.all(streams.map((s) => s.closed)), T, 'stream close');
  } finally {
    sub.disconnect();
    pub.disconnect();
    await server.stop();
  }
  return { seen, streams: streams.map((s) => s.events), madeBy: streams.map((s) => tlsMadeBy(s.socket)) };
}

for (const [name, scenario] of [
  ['SET/GET/pipeline/multi/error reply and an 8 MiB value', commandsScenario],
  ['pub/sub: subscribe, psubscribe, publish, unsubscribe', pubsubScenario],
]) {
  test(`[${DRIVER}] ioredis with tls against a TLS-only redis-server: ${name}: same over Node's TLS and rsnet's native TLS`, { skip, timeout: 120_000 }, async (t) => {
    const viaNode = await scenario('node');
    const viaRsnet = await scenario('rsnet');
    t.diagnostic(`node:  ${JSON.stringify(viaNode)}`);
    t.diagnostic(`rsnet: ${JSON.stringify(viaRsnet)}`);
    assert.ok(viaNode.madeBy.length > 0 && viaNode.madeBy.every((m) => m === 'node'), `Node's run used: ${viaNode.madeBy}`);
    // The native path, asserted: else this would compare Node's TLS with itself.
    assert.ok(viaRsnet.madeBy.length > 0 && viaRsnet.madeBy.every((m) => m === 'rsnet native'), `rsnet's run used: ${viaRsnet.madeBy}`);
    const { madeBy: _a, ...n } = viaNode;
    const { madeBy: _b, ...r } = viaRsnet;
    assert.deepEqual(r, n);
  });
}

alsoUnderOtherDriver(__filename);
