'use strict';
// Idle timeouts: socket.setTimeout() only *notifies* ('timeout'); it never closes
// the socket, and any activity (data in, data out) pushes the deadline back.
// Connection pools and keep-alive logic depend on exactly these rules.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { performance } = require('node:perf_hooks');
const P = require('./helpers/parity');

/** Connects a client to a server whose accepted sockets are passed to onServerSocket. */
async function connectPair({ server, client }, scope, { onServerSocket = () => {}, clientOptions = {} } = {}) {
  const accepted = P.deferred(10_000, 'connection');
  const srv = await scope.server(server, {
    onConnection: (s) => {
      onServerSocket(s);
      accepted.resolve(s);
    },
  });
  const c = scope.track(client.createConnection({ port: srv.address().port, host: '127.0.0.1', ...clientOptions }));
  const rec = P.record(c, { state: true });
  await P.once(c, 'connect');
  const s = await accepted.promise;
  return { c, s, rec };
}

/** Ends the client cleanly (timeout disabled first, so a slow close cannot add one). */
async function finish(c) {
  c.setTimeout(0);
  c.end();
  await P.once(c, 'close');
}

test("setTimeout(ms) on an idle socket emits 'timeout' once and leaves the socket open", { timeout: 30_000 }, async () => {
  const T = 200;
  const results = await P.runPairs(async (mods, scope) => {
    const { c, rec } = await connectPair(mods, scope);
    const ret = c.setTimeout(T);
    await P.once(c, 'timeout', { timeoutMs: 10_000 });
    // Nothing happens on the socket now; a repeating timer would fire again here.
    await P.delay(5 * T);
    const after = {
      timeouts: rec.count('timeout'),
      destroyed: c.destroyed,
      readyState: c.readyState,
      readable: c.readable,
      writable: c.writable,
      timeout: c.timeout,
    };
    await finish(c);
    return { returnsThis: ret === c, after, log: rec.view({ state: true }) };
  });
  P.assertParity(results, {
    returnsThis: true,
    after: { timeouts: 1, destroyed: false, readyState: 'open', readable: true, writable: true, timeout: T },
    log: ['connect@open', 'ready@open', 'timeout@open', 'finish@readOnly', 'end@closed', 'close(false)@closed'],
  });
});

test("activity after a 'timeout' re-arms it: the socket times out again after the next idle period", { timeout: 30_000 }, async () => {
  const T = 1000; // long enough that the echo below always arrives first
  const results = await P.runPairs(async (mods, scope) => {
    const { c, rec } = await connectPair(mods, scope, { onServerSocket: (s) => s.pipe(s) });
    c.setTimeout(T);
    await P.once(c, 'timeout', { timeoutMs: 10_000 });
    c.write('wake up');
    await P.once(c, 'timeout', { timeoutMs: 10_000 });
    await finish(c);
    return rec.view();
  });
  P.assertParity(results, ['connect', 'ready', 'timeout', 'data(7B)', 'timeout', 'finish', 'end', 'close(false)']);
});

/**
 * Sets a timeout of T on the client, then `delayMs` later makes one kind of
 * activity happen ('incoming': the server writes; 'outgoing': the client writes).
 * The 'timeout' must then fire no earlier than T after that activity. An
 * implementation that does not refresh fires about `delayMs` earlier than that.
 * Tolerance covers timers measured against the event loop's cached clock.
 */
async function refreshedBy(mods, scope, kind) {
  const T = 1000;
  const delayMs = 400;
  const tolerance = 200;
  const { c, s, rec } = await connectPair(mods, scope, { onServerSocket: (sock) => sock.resume() });
  let activityAt;
  if (kind === 'incoming') c.once('data', () => (activityAt = performance.now()));
  c.setTimeout(T);
  const timedOut = P.once(c, 'timeout', { timeoutMs: 10_000 });
  setTimeout(() => {
    if (kind === 'incoming') s.write('activity');
    else {
      activityAt = performance.now();
      c.write('activity');
    }
  }, delayMs);
  await timedOut;
  const firedAfterActivity = performance.now() - activityAt;
  await finish(c);
  return {
    refreshed: firedAfterActivity >= T - tolerance,
    timeouts: rec.count('timeout'),
    log: rec.view(),
    _firedAfterActivity: firedAfterActivity,
  };
}

function assertRefreshed(results, log) {
  for (const [label, r] of Object.entries(results)) {
    assert.ok(r.refreshed, `${label}: 'timeout' fired ${r._firedAfterActivity.toFixed(0)}ms after the activity (T=1000ms)`);
    delete r._firedAfterActivity;
  }
  P.assertParity(results, { refreshed: true, timeouts: 1, log });
}

test('incoming data pushes the timeout back', { timeout: 30_000 }, async () => {
  const results = await P.runPairs((mods, scope) => refreshedBy(mods, scope, 'incoming'));
  assertRefreshed(results, ['connect', 'ready', 'data(8B)', 'timeout', 'finish', 'end', 'close(false)']);
});

test('writes push the timeout back', { timeout: 30_000 }, async () => {
  const results = await P.runPairs((mods, scope) => refreshedBy(mods, scope, 'outgoing'));
  assertRefreshed(results, ['connect', 'ready', 'timeout', 'finish', 'end', 'close(false)']);
});

test('setTimeout(0) disables a pending timeout and removes the given callback', { timeout: 30_000 }, async () => {
  const T = 100;
  const results = await P.runPairs(async (mods, scope) => {
    const { c, rec } = await connectPair(mods, scope);
    const values = [];
    const cb = () => values.push('callback called');
    values.push(c.timeout);
    c.setTimeout(T, cb);
    values.push(c.timeout, c.listenerCount('timeout'));
    c.setTimeout(0, cb);
    values.push(c.timeout, c.listenerCount('timeout'));
    await P.delay(6 * T); // the disabled timer would have fired by now
    values.push(`timeouts=${rec.count('timeout')}`);
    await finish(c);
    return { values, log: rec.view() };
  });
  // The recorder's own 'timeout' listener counts as 1.
  P.assertParity(results, {
    values: [undefined, T, 2, 0, 1, 'timeouts=0'],
    log: ['connect', 'ready', 'finish', 'end', 'close(false)'],
  });
});

test("setTimeout(ms, callback) calls the callback on 'timeout', after earlier listeners", { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async (mods, scope) => {
    const { c } = await connectPair(mods, scope);
    const order = [];
    c.on('timeout', (...args) => order.push(`listener(${args.length})`));
    c.setTimeout(50, (...args) => order.push(`callback(${args.length})`));
    await P.once(c, 'timeout', { timeoutMs: 10_000 });
    await P.delay(0);
    await finish(c);
    return order;
  });
  P.assertParity(results, ['listener(0)', 'callback(0)']);
});

test('createConnection({ port, timeout }) sets the timeout before connecting', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await scope.server(server);
    const c = scope.track(client.createConnection({ port: srv.address().port, host: '127.0.0.1', timeout: 150 }));
    const rec = P.record(c, { state: true });
    const timeoutAtCreation = c.timeout;
    await P.once(c, 'timeout', { timeoutMs: 10_000 });
    const destroyed = c.destroyed;
    await finish(c);
    return { timeoutAtCreation, destroyed, log: rec.view({ state: true }) };
  });
  P.assertParity(results, {
    timeoutAtCreation: 150,
    destroyed: false,
    log: ['connect@open', 'ready@open', 'timeout@open', 'finish@readOnly', 'end@closed', 'close(false)@closed'],
  });
});

test('new Socket().setTimeout(ms) before connect() still applies once connected', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await scope.server(server);
    const c = scope.track(new client.Socket());
    const rec = P.record(c, { state: true });
    c.setTimeout(150);
    c.connect(srv.address().port, '127.0.0.1');
    await P.once(c, 'timeout', { timeoutMs: 10_000 });
    const timeout = c.timeout;
    await finish(c);
    return { timeout, log: rec.view({ state: true }) };
  });
  P.assertParity(results, {
    timeout: 150,
    log: ['connect@open', 'ready@open', 'timeout@open', 'finish@readOnly', 'end@closed', 'close(false)@closed'],
  });
});

test("a timeout on the accepted (server-side) socket: 'timeout', then the server closes it", { timeout: 30_000 }, async () => {
  // The classic idle-connection reaper: on 'timeout', the server ends the socket.
  const results = await P.runPairs(async (mods, scope) => {
    const srvRec = new P.Recording();
    const srvClosed = P.deferred(10_000, 'server socket close');
    const { c, rec } = await connectPair(mods, scope, {
      onServerSocket: (s) => {
        srvRec.attach(s, { state: true });
        s.setTimeout(100);
        s.on('timeout', () => s.end('idle, bye'));
        s.on('close', srvClosed.resolve);
      },
    });
    await P.once(c, 'close', { timeoutMs: 10_000 });
    await srvClosed.promise;
    return { client: rec.view({ state: true }), server: srvRec.view({ state: true }) };
  });
  P.assertParity(results, {
    client: ['connect@open', 'ready@open', 'data(9B)@open', 'end@writeOnly', 'finish@closed', 'close(false)@closed'],
    server: ['timeout@open', 'finish@readOnly', 'end@closed', 'close(false)@closed'],
  });
});
