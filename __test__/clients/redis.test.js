'use strict';
// ioredis 5 against a real redis-server, once over built-in `net` and once over rsnet:
// both must see the same replies, pub/sub messages, 8 MiB value, socket event sequences,
// and both must reconnect when the server is restarted mid-session.
//
// How ioredis gets rsnet sockets: in this process, through its `Connector` option (the
// class that makes its stream), a copy of its StandaloneConnector that calls
// `impl.createConnection`. One more test runs ioredis unchanged in a child process with
// a test-only preload (fixtures/preload-rsnet-as-net.js) that answers
// `require('net')` with rsnet, as rsnet/register will.
const { test } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const Redis = require('ioredis');
const StandaloneConnector = require('ioredis/built/connectors/StandaloneConnector').default;

const { impls, RSNET_IS_FALLBACK, once, withTimeout, sha256, randomBytes, SocketTrace, madeBy } = require('../helpers/clients.js');
const { redisSkipReason, startRedis } = require('../helpers/services.js');

const skip = redisSkipReason() || (RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : false);
const T = 15_000;

/** An ioredis Connector whose streams come from `impl.createConnection`; each one is traced. */
function connectorFor(impl, streams) {
  return class ImplConnector extends StandaloneConnector {
    connect(_) {
      this.connecting = true;
      const { port, host } = this.options;
      return new Promise((resolve, reject) => {
        process.nextTick(() => {
          if (!this.connecting) return reject(new Error('Connection is closed.'));
          this.stream = impl.createConnection({ port, host });
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

// A stream's events only: its byte count varies from server to server (ioredis reads
// INFO, whose text holds the server's pid, port, memory...); the replies are compared.
const eventsOf = (trace) => trace.events;

function clientEvents(client) {
  const events = [];
  for (const e of ['connect', 'ready', 'close', 'reconnecting', 'end']) client.on(e, () => events.push(e));
  client.on('error', (err) => events.push(`error:${err.code || err.message}`));
  return events;
}

function newClient(impl, port, streams, extra = {}) {
  return new Redis({
    port,
    host: '127.0.0.1',
    Connector: connectorFor(impl, streams),
    retryStrategy: () => 20,
    maxRetriesPerRequest: null,
    ...extra,
  });
}

async function commandsScenario(impl) {
  const server = await startRedis();
  const streams = [];
  const client = newClient(impl, server.port, streams);
  const events = clientEvents(client);
  const seen = {};
  try {
    await withTimeout(once(client, 'ready'), T, 'ready');
    seen.set = await client.set('greeting', 'hello');
    seen.get = await client.get('greeting');
    seen.missing = await client.get('nope');
    seen.pipeline = await withTimeout(
      client.pipeline().set('n', '1').incr('n').incrby('n', 40).get('n').del('n').exec(),
      T,
      'pipeline',
    );
    seen.multi = await client.multi().set('m', 'x').append('m', 'yz').get('m').exec();
    seen.err = await client.incr('greeting').catch((e) => `${e.name}: ${e.message}`);

    const big = randomBytes(8 * 1024 * 1024);
    seen.bigSet = await withTimeout(client.set('big', big), 30_000, 'SET 8 MiB');
    const back = await withTimeout(client.getBuffer('big'), 30_000, 'GET 8 MiB');
    seen.big = { length: back.length, same: sha256(back) === sha256(big) };
    seen.strlen = await client.strlen('big');

    await withTimeout(client.quit(), T, 'quit');
    await withTimeout(Promise.all(streams.map((s) => s.closed)), T, 'stream close');
  } finally {
    client.disconnect();
    await server.stop();
  }
  return { seen, clientEvents: events, streams: streams.map(eventsOf), madeBy: streams.map((s) => madeBy(s.socket)) };
}

async function pubsubScenario(impl) {
  const server = await startRedis();
  const streams = [];
  const sub = newClient(impl, server.port, streams);
  const pub = newClient(impl, server.port, streams);
  const seen = { messages: [], pmessages: [] };
  try {
    await withTimeout(Promise.all([once(sub, 'ready'), once(pub, 'ready')]), T, 'ready');
    seen.subscribed = await sub.subscribe('news', 'sport');
    seen.psubscribed = await sub.psubscribe('w*');
    const allIn = new Promise((resolve) => {
      const check = () => seen.messages.length === 3 && seen.pmessages.length === 1 && resolve();
      sub.on('message', (ch, msg) => {
        seen.messages.push([ch, msg]);
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
    seen.messages = seen.messages.map(([ch, msg]) => [ch, msg.length > 100 ? `${msg.length} chars` : msg]);
    seen.unsubscribed = await sub.unsubscribe('news');
    seen.afterUnsub = await pub.publish('news', 'late');
    await withTimeout(Promise.all([sub.quit(), pub.quit()]), T, 'quit');
    await withTimeout(Promise.all(streams.map((s) => s.closed)), T, 'stream close');
  } finally {
    sub.disconnect();
    pub.disconnect();
    await server.stop();
  }
  return { seen, streams: streams.map(eventsOf), madeBy: streams.map((s) => madeBy(s.socket)) };
}

async function restartScenario(impl) {
  let server = await startRedis();
  const streams = [];
  const client = newClient(impl, server.port, streams);
  const events = clientEvents(client);
  const seen = {};
  try {
    await withTimeout(once(client, 'ready'), T, 'ready');
    seen.before = [await client.set('k', 'v1'), await client.get('k')];
    const firstStream = streams[0];
    const closed = once(client, 'close', { rejectOnError: false });
    const { pid, port, dir } = server;
    await server.stop({ removeDir: false }); // SIGTERM by pid, waits for its exit
    await withTimeout(closed, T, 'ioredis close after the server stopped');
    // While it is down, at least one reconnect attempt is refused.
    await withTimeout(
      new Promise((resolve) => {
        const check = () => (streams.some((st) => st.events.includes('error:ECONNREFUSED')) ? resolve() : setTimeout(check, 10));
        check();
      }),
      T,
      'a refused reconnect attempt',
    );
    server = await startRedis({ port, dir }); // the same port and dir
    seen.newPid = server.pid !== pid;
    // No persistence: the restarted server is empty; the next commands must go through.
    seen.after = await withTimeout(Promise.all([client.get('k'), client.set('k', 'v2'), client.get('k')]), T, 'commands after restart');
    seen.sameStream = client.stream === firstStream.socket;
    await withTimeout(client.quit(), T, 'quit');
    await withTimeout(Promise.all(streams.map((s) => s.closed)), T, 'stream close');
  } finally {
    client.disconnect();
    await server.stop();
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
  // Attempts made while the server was down are refused; how many depends on timing
  // (at least one), so only their shape is checked: a refused connect, as with net.
  const [first, ...rest] = streams.map(eventsOf);
  const last = rest.pop();
  const refusedShapes = [...new Set(rest.map((events) => JSON.stringify(events)))];
  return {
    seen,
    // Between the two servers: reconnecting (attempts) ..., then connect and ready again.
    clientEvents: events.filter((e, i) => !(e === 'reconnecting' || (e.startsWith('error:') && events[i - 1] === 'reconnecting') || (e === 'close' && events[i - 1] && events[i - 1].startsWith('error:')))),
    first,
    refusedAsExpected: (refusedShapes.length > 0 && refusedShapes.every((e) => e === '["error:ECONNREFUSED","close:true"]')) || refusedShapes,
    last,
    madeBy: [...new Set(streams.map((s) => madeBy(s.socket)))],
  };
}

for (const [name, scenario] of [
  ['SET/GET/pipeline/multi/error reply and an 8 MiB value', commandsScenario],
  ['pub/sub: subscribe, psubscribe, publish, unsubscribe', pubsubScenario],
  ['server restarted mid-session (stopped by pid, same port): the client reconnects', restartScenario],
]) {
  test(`[${DRIVER}] ioredis: ${name}: same over net and rsnet`, { skip, timeout: 120_000 }, async (t) => {
    const viaNet = await scenario(impls.net);
    const viaRsnet = await scenario(impls.rsnet);
    t.diagnostic(JSON.stringify(viaRsnet));
    assert.ok(viaNet.madeBy.every((m) => m === 'net'), `net run used: ${viaNet.madeBy}`);
    assert.ok(viaRsnet.madeBy.length > 0 && viaRsnet.madeBy.every((m) => m === 'rsnet'), `rsnet run used: ${viaRsnet.madeBy}`);
    const { madeBy: _a, ...n } = viaNet;
    const { madeBy: _b, ...r } = viaRsnet;
    assert.deepEqual(r, n);
  });
}

test(`[${DRIVER}] ioredis unchanged, require('net') answered by rsnet (test-only preload in a child): same replies and streams`, { skip, timeout: 60_000 }, async () => {
  const server = await startRedis();
  try {
    const run = async (preload) => {
      const args = [...(preload ? ['--require', path.join(__dirname, '..', 'fixtures', 'preload-rsnet-as-net.js')] : []), path.join(__dirname, '..', 'fixtures', 'ioredis-session.js'), String(server.port)];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const [code] = await once(child, 'exit', { timeoutMs: 30_000, label: `ioredis child (preload ${preload})` }).catch((e) => {
        child.kill('SIGKILL');
        throw e;
      });
      assert.equal(code, 0, `child exited ${code}: ${err}`);
      return JSON.parse(out);
    };
    const viaNet = await run(false);
    const viaRsnet = await run(true);
    assert.equal(viaNet.streamMadeBy, 'net');
    assert.equal(viaRsnet.streamMadeBy, 'rsnet');
    assert.equal(viaRsnet.netIsRsnet, true);
    assert.deepEqual({ ...viaRsnet, streamMadeBy: null, netIsRsnet: null }, { ...viaNet, streamMadeBy: null, netIsRsnet: null });
  } finally {
    await server.stop();
  }
});

alsoUnderOtherDriver(__filename);
