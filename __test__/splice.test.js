'use strict';
// pipe() between two sockets of the module under test: a proxy in the middle pipes a
// client connection into an upstream connection (and back). rsnet splices such pipes
// natively (lib/splice.js); whatever JS does to either end (a 'data' listener, pause,
// unpipe, cork, end: false, a timeout) must see exactly what Node's pipe gives: every
// byte once, in order, with the same events.
//
// The outer ends (the test's client and the upstream server) are always built-in net,
// so only the proxy's module differs between the two runs.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const P = require('./helpers/parity');

const net = P.impls.net;
const MiB = 1024 * 1024;

/**
 * A proxy made with `mod` between a net client and a net upstream server.
 * `wire(client, up)` connects the proxy's two sockets (the test's choice of pipes).
 * Resolves { client, up, outer, far }: the proxy's accepted socket and its upstream
 * connection, the test's client socket, and the upstream server's accepted socket.
 */
async function proxyPair(mod, scope, wire, options) {
  const far = P.deferred(10_000, 'upstream connection');
  const upstream = await scope.server(net, { onConnection: (s) => far.resolve(s) });
  const pair = P.deferred(10_000, 'proxy pair');
  const proxy = await scope.server(mod, {
    options,
    onConnection: (client) => {
      const up = scope.track(mod.connect(upstream.address().port, '127.0.0.1'));
      wire(client, up);
      pair.resolve({ client, up });
    },
  });
  const outer = await scope.connect(net, { port: proxy.address().port, host: '127.0.0.1' });
  const { client, up } = await pair.promise;
  return { client, up, outer, far: await far.promise };
}

/**
 * Writes `payload` to `socket` in `chunk`-sized pieces, honouring backpressure.
 * Stops early if the socket closes (a test that tears the path down mid-transfer).
 */
async function pump(socket, payload, chunk = 256 * 1024) {
  for (let at = 0; at < payload.length && !socket.destroyed; at += chunk) {
    if (socket.write(payload.subarray(at, at + chunk))) continue;
    await P.withTimeout(new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    }), 30_000, 'drain');
  }
}

/** Resolves once `socket` has received `n` bytes; returns them (stops listening). */
function receive(socket, n, label) {
  const parts = [];
  let got = 0;
  const done = P.deferred(60_000, `${label}: ${n} bytes`);
  const onData = (chunk) => {
    parts.push(chunk);
    got += chunk.length;
    if (got >= n) {
      socket.removeListener('data', onData);
      done.resolve(Buffer.concat(parts));
    }
  };
  socket.on('data', onData);
  return done.promise;
}

test('a two-way proxy (client.pipe(up).pipe(client)) carries every byte both ways, with net\'s events', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const log = new P.Recording();
    const { client, up, outer, far } = await proxyPair(mod, scope, (client, up) => {
      log.attach(client, { tag: 'client', events: ['end', 'finish', 'close', 'error'] });
      log.attach(up, { tag: 'up', events: ['connect', 'end', 'finish', 'close', 'error'] });
      client.pipe(up).pipe(client);
    }, { allowHalfOpen: true }); // the echo still flows back after the client's FIN
    far.pipe(far); // the upstream echoes
    const payload = P.randomBytes(8 * MiB);
    const echoed = P.collect(outer, { label });
    const closed = Promise.all([P.once(client, 'close'), P.once(up, 'close')]);
    await pump(outer, payload);
    outer.end();
    const back = await echoed;
    await closed;
    return {
      // Each socket's own order; how two sockets' events interleave is timing.
      client: log.view({ tag: 'client' }),
      up: log.view({ tag: 'up' }),
      echoed: back.sha256 === P.sha256(payload) && back.bytes === payload.length,
      counts: [client.bytesRead, client.bytesWritten, up.bytesRead, up.bytesWritten],
    };
  });
  P.assertParity(results, (r) => {
    assert.equal(r.echoed, true, 'the echo came back whole and in order');
    assert.deepEqual(r.counts, Array(4).fill(8 * MiB), 'bytesRead/bytesWritten count the piped bytes');
  });
});

test('rsnet splices a pipe between two rsnet sockets natively (the bytes skip JS)', async (t) => {
  if (P.RSNET_IS_FALLBACK) return t.skip('rsnet addon not built');
  const scope = new P.Scope('rsnet');
  try {
    const { client, up, outer, far } = await proxyPair(P.impls.rsnet, scope, (client, up) => client.pipe(up));
    const payload = P.randomBytes(4 * MiB);
    const arrived = receive(far, payload.length, 'far');
    await pump(outer, payload);
    assert.ok((await arrived).equals(payload));
    // Native counters move only when the splice carried the bytes.
    assert.ok(client._handle.splicedRead > 0, 'the source spliced');
    assert.equal(client._handle.splicedRead, up._handle.splicedWritten);
  } finally {
    await scope.close();
  }
});

test('a \'data\' listener added mid-pipe sees exactly the bytes after it, and the pipe loses none', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { client, outer, far } = await proxyPair(mod, scope, (client, up) => client.pipe(up));
    const payload = P.randomBytes(6 * MiB);
    const firstPart = receive(far, 1 * MiB, `${label} far`);
    const whole = P.collect(far, { keep: true, label });
    const writing = pump(outer, payload);
    await firstPart;
    const seen = [];
    client.on('data', (chunk) => seen.push(chunk));
    await writing;
    outer.end();
    const got = await whole;
    const tail = Buffer.concat(seen);
    return {
      whole: got.buffer.equals(payload),
      tailIsSuffix: tail.length > 0 && tail.equals(payload.subarray(payload.length - tail.length)),
    };
  });
  P.assertParity(results, { whole: true, tailIsSuffix: true });
});

test('unpipe mid-stream: the source pauses, JS writes land after the piped bytes, nothing is lost', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { client, up, outer, far } = await proxyPair(mod, scope, (client, up) => client.pipe(up));
    const payload = P.randomBytes(4 * MiB);
    const trailer = Buffer.from('--trailer--');
    const firstPart = receive(far, 1 * MiB, `${label} far`);
    const atFar = P.collect(far, { keep: true, label });
    const writing = pump(outer, payload);
    await firstPart;
    client.unpipe(up);
    const pausedAfterUnpipe = client.isPaused();
    up.end(trailer);
    const farGot = (await atFar).buffer;
    // What did not go upstream is still readable from the source (unpipe paused it).
    const rest = [];
    client.on('data', (chunk) => rest.push(chunk));
    client.resume();
    await writing;
    outer.end();
    await P.once(client, 'end');
    const piped = farGot.subarray(0, farGot.length - trailer.length);
    return {
      pausedAfterUnpipe,
      trailerLast: farGot.subarray(farGot.length - trailer.length).equals(trailer),
      nothingLost: Buffer.concat([piped, ...rest]).equals(payload),
    };
  });
  P.assertParity(results, { pausedAfterUnpipe: true, trailerLast: true, nothingLost: true });
});

test('pause() and resume() on a piped source stop and restart the flow without loss', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { client, outer, far } = await proxyPair(mod, scope, (client, up) => client.pipe(up));
    const payload = P.randomBytes(4 * MiB);
    const half = payload.length / 2;
    const whole = P.collect(far, { label });
    const firstHalf = receive(far, half, `${label} far`);
    await pump(outer, payload.subarray(0, half));
    await firstHalf;
    client.pause();
    const paused = client.isPaused();
    await pump(outer, payload.subarray(half));
    // Paused, the source keeps what arrives in its readable buffer, where JS sees it.
    await P.withTimeout(new Promise((resolve) => {
      const check = () => (client.readableLength > 0 ? resolve() : setImmediate(check));
      check();
    }), 10_000, `${label}: bytes buffered while paused`);
    client.resume();
    outer.end();
    const got = await whole;
    return { paused, whole: got.bytes === payload.length && got.sha256 === P.sha256(payload) };
  });
  P.assertParity(results, { paused: true, whole: true });
});

test('backpressure goes through the pipe: a stalled far reader makes the sender\'s write() return false', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { outer, far } = await proxyPair(mod, scope, (client, up) => client.pipe(up));
    far.pause();
    let sent = 0;
    let gotFalse = false;
    const chunk = P.randomBytes(1 * MiB);
    // Without backpressure the proxy would swallow all 256 MiB.
    while (sent < 256 * MiB) {
      sent += chunk.length;
      if (!outer.write(chunk)) {
        gotFalse = true;
        break;
      }
      // Let the proxy run between writes, as a real sender would.
      await new Promise(setImmediate);
    }
    const drained = P.once(outer, 'drain', { timeoutMs: 30_000 });
    const whole = P.collect(far, { label });
    far.resume();
    await drained;
    outer.end();
    const got = await whole;
    return { gotFalse, stalledEarly: sent < 128 * MiB, whole: got.bytes === sent };
  });
  P.assertParity(results, { gotFalse: true, stalledEarly: true, whole: true });
});

test('pipe(dest, {end: false}): the source\'s end leaves dest open for JS to finish', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const log = new P.Recording();
    const { client, up, outer, far } = await proxyPair(mod, scope, (client, up) => {
      log.attach(up, { tag: 'up', events: ['finish', 'close'] });
      client.pipe(up, { end: false });
    });
    const payload = P.randomBytes(2 * MiB);
    const trailer = Buffer.from('written by JS after the source ended');
    const atFar = P.collect(far, { keep: true, label });
    await pump(outer, payload);
    outer.end();
    await P.once(client, 'end');
    const upWritable = up.writable;
    up.end(trailer);
    const got = (await atFar).buffer;
    await P.once(up, 'close');
    return { log: log.log, upWritable, whole: got.equals(Buffer.concat([payload, trailer])) };
  });
  P.assertParity(results, { log: ['up:finish', 'up:close(false)'], upWritable: true, whole: true });
});

test('cork() on a pipe\'s destination: corked JS writes and piped bytes keep their order', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { up, outer, far } = await proxyPair(mod, scope, (client, up) => client.pipe(up));
    const payload = P.randomBytes(2 * MiB);
    const marker = Buffer.from('<<corked marker>>');
    const firstPart = receive(far, 256 * 1024, `${label} far`);
    const atFar = P.collect(far, { keep: true, label });
    const writing = pump(outer, payload);
    await firstPart;
    up.cork();
    up.write(marker);
    // Whatever the pipe writes while corked is held behind the marker.
    await new Promise(setImmediate);
    up.uncork();
    await writing;
    outer.end();
    const got = (await atFar).buffer;
    const at = got.indexOf(marker);
    const without = at < 0 ? got : Buffer.concat([got.subarray(0, at), got.subarray(at + marker.length)]);
    return { markerFound: at >= 256 * 1024, restInOrder: without.equals(payload) };
  });
  P.assertParity(results, { markerFound: true, restInOrder: true });
});

test('an idle timeout on a piped socket does not fire while bytes flow, and fires once they stop', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const { client, outer, far } = await proxyPair(mod, scope, (client, up) => client.pipe(up));
    far.resume();
    let timeouts = 0;
    client.setTimeout(400, () => timeouts++);
    // About 1.2 s of steady traffic: three timeout periods with bytes every 20 ms.
    const chunk = P.randomBytes(16 * 1024);
    for (let i = 0; i < 60; i++) {
      outer.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const duringTraffic = timeouts;
    await P.once(client, 'timeout', { timeoutMs: 5_000 });
    return { duringTraffic, afterwards: timeouts >= 1 };
  });
  P.assertParity(results, { duringTraffic: 0, afterwards: true });
});

test('the far end resetting mid-pipe: dest errors and closes, the source stays open and paused', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const log = new P.Recording();
    const { client, up, outer, far } = await proxyPair(mod, scope, (client, up) => {
      log.attach(up, { tag: 'up', events: ['close'] });
      up.on('error', () => {}); // its code (ECONNRESET or EPIPE) depends on timing
      client.pipe(up);
    });
    const firstPart = receive(far, 256 * 1024, `${label} far`);
    const writing = pump(outer, P.randomBytes(64 * MiB));
    await firstPart;
    far.resetAndDestroy();
    await P.once(up, 'close', { timeoutMs: 30_000, rejectOnError: false });
    const state = { destroyed: client.destroyed, unpiped: client._readableState.pipes.length === 0 };
    outer.destroy();
    await writing;
    return { log: log.log, ...state };
  });
  P.assertParity(results, { log: ['up:close(true)'], destroyed: false, unpiped: true });
});
