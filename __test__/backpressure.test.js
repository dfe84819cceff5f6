'use strict';
// Backpressure and the stream APIs built on it. A drop-in net must (1) report
// a full write buffer through write()'s return value and 'drain', and (2) stop
// reading from the kernel while the JS side is paused, so that a slow consumer
// pushes back on the sender instead of buffering without bound in native memory.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const stream = require('node:stream');
const streamPromises = require('node:stream/promises');
const P = require('./helpers/parity');

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Writes `chunkSize` chunks to `c` (whose peer is paused, so the kernel buffers
 * fill up) until write() returns false. Checks write()'s contract on every call:
 * the return value is exactly "writableLength is still below the mark". (Note
 * net returns true for a write the kernel took synchronously, so how many
 * writes succeed first is not part of the comparison; only the contract is.)
 */
function writeUntilFalse(c, chunkSize, digest) {
  const hwm = c.writableHighWaterMark;
  let contractHeld = true;
  for (let sent = 0; sent < 256 * MiB; sent += chunkSize) {
    const chunk = P.randomBytes(chunkSize);
    digest.update(chunk);
    const ret = c.write(chunk);
    if (ret !== c.writableLength < hwm || c.writableNeedDrain !== !ret) contractHeld = false;
    if (!ret) return { gotFalse: true, contractHeld };
  }
  return { gotFalse: false, contractHeld };
}

/** Client writes to a paused accepted socket until write() is false, then the server resumes. */
async function falseThenDrain({ server, client }, scope, { serverOptions, socketOptions, chunkSize }) {
  const accepted = P.deferred(10_000, 'connection');
  const srv = await scope.server(server, {
    options: serverOptions,
    onConnection: (s) => {
      s.pause();
      accepted.resolve(s);
    },
  });
  const c = scope.track(socketOptions ? new client.Socket(socketOptions) : new client.Socket());
  c.connect(srv.address().port, '127.0.0.1');
  await P.once(c, 'connect');
  const s = await accepted.promise;
  const marks = { client: [c.readableHighWaterMark, c.writableHighWaterMark], accepted: [s.readableHighWaterMark, s.writableHighWaterMark] };
  let drains = 0;
  c.on('drain', () => drains++);
  const sent = new P.Digest();
  const { gotFalse, contractHeld } = writeUntilFalse(c, chunkSize, sent);
  const drained = P.once(c, 'drain', { timeoutMs: 30_000 });
  const got = P.collect(s);
  s.resume();
  await drained;
  const afterDrain = `needDrain=${c.writableNeedDrain} length=${c.writableLength}`;
  c.end();
  const r = await got;
  return { marks, gotFalse, contractHeld, drains, afterDrain, intact: r.sha256 === sent.result().sha256 };
}

test("write() returns false once writableLength reaches writableHighWaterMark, and one 'drain' follows", { timeout: 60_000 }, async () => {
  const results = await P.runPairs((mods, scope) => falseThenDrain(mods, scope, { chunkSize: 64 * KiB }));
  P.assertParity(results, {
    marks: { client: [16384, 16384], accepted: [16384, 16384] },
    gotFalse: true,
    contractHeld: true,
    drains: 1,
    afterDrain: 'needDrain=false length=0',
    intact: true,
  });
});

test('highWaterMark options of new Socket() and createServer() are honoured', { timeout: 60_000 }, async () => {
  // Small marks with chunks just above them: write() must compare against the
  // configured mark, not the default 16 KiB.
  const results = await P.runPairs((mods, scope) =>
    falseThenDrain(mods, scope, {
      serverOptions: { highWaterMark: 1000 },
      socketOptions: { highWaterMark: 2000 },
      chunkSize: 2048,
    }),
  );
  P.assertParity(results, {
    marks: { client: [2000, 2000], accepted: [1000, 1000] },
    gotFalse: true,
    contractHeld: true,
    drains: 1,
    afterDrain: 'needDrain=false length=0',
    intact: true,
  });
});

test('a single write far above the mark on a fresh socket returns false, then drains', { timeout: 60_000 }, async () => {
  // 64 MiB cannot all be taken by the kernel synchronously, whatever the buffers.
  const payload = P.randomBytes(64 * MiB);
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const accepted = P.deferred(10_000, 'connection');
    const srv = await scope.server(server, { onConnection: accepted.resolve });
    const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    await P.once(c, 'connect');
    const s = await accepted.promise;
    const got = P.collect(s);
    const log = [];
    c.on('drain', () => log.push(`drain length=${c.writableLength}`));
    log.push(`write=${c.write(payload)} needDrain=${c.writableNeedDrain}`);
    await P.once(c, 'drain', { timeoutMs: 50_000 });
    c.end();
    const r = await got;
    return { log, intact: r.sha256 === P.sha256(payload) };
  });
  P.assertParity(results, { log: ['write=false needDrain=true', 'drain length=0'], intact: true });
});

// ---------------------------------------------------------------------------
// A paused reader must stall the sender.
// ---------------------------------------------------------------------------
const SEND_LIMIT = 256 * MiB; // the sender gives up here: the receiver never pushed back
const READ_BOUND = 32 * MiB; // a paused receiver may not have read more than this
const QUIET_MS = 1000; // no 'drain' for this long while write() said false = stalled

/**
 * Writes random 64 KiB chunks to `sender`, respecting backpressure, until the
 * sender stalls (write() returned false and no 'drain' came within QUIET_MS) or
 * SEND_LIMIT is reached. A slow machine can only make us declare the stall
 * early, which makes the bounds below easier to meet for a correct receiver,
 * never harder, so this cannot fail a correct implementation.
 */
async function writeUntilStalled(sender, digest) {
  let sent = 0;
  while (sent < SEND_LIMIT) {
    const chunk = P.randomBytes(64 * KiB);
    digest.update(chunk);
    sent += chunk.length;
    if (!sender.write(chunk)) {
      if (!(await drainedWithin(sender, QUIET_MS))) return { stalled: true, sent };
    }
  }
  return { stalled: false, sent };
}

/** true on 'drain', false if none came within `ms`. */
function drainedWithin(sender, ms) {
  return new Promise((resolve) => {
    const onDrain = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      sender.removeListener('drain', onDrain);
      resolve(false);
    }, ms);
    sender.once('drain', onDrain);
  });
}

/**
 * receiverSide 'server': the accepted socket is paused and the client sends;
 * receiverSide 'client': the client socket is paused and the server sends;
 * receiverSide 'pauseOnConnect': like 'server', but paused by the server option.
 */
async function pausedReceiver({ server, client }, scope, receiverSide) {
  const accepted = P.deferred(10_000, 'connection');
  const srv = await scope.server(server, {
    options: receiverSide === 'pauseOnConnect' ? { pauseOnConnect: true } : undefined,
    onConnection: (s) => {
      if (receiverSide === 'server') s.pause();
      accepted.resolve(s);
    },
  });
  const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
  if (receiverSide === 'client') c.pause();
  await P.once(c, 'connect');
  const s = await accepted.promise;
  const [receiver, sender] = receiverSide === 'client' ? [c, s] : [s, c];

  let dataWhilePaused = 0;
  const got = new P.Digest();
  let resumed = false;
  receiver.on('data', (d) => {
    if (!resumed) dataWhilePaused++;
    got.update(d);
  });
  // Attaching a 'data' listener resumes a stream unless pause() was called
  // explicitly, which it was: the receiver must still be paused.
  const pausedAfterListener = receiver.isPaused();

  const sentDigest = new P.Digest();
  const { stalled, sent } = await writeUntilStalled(sender, sentDigest);
  const readAtStall = receiver.bytesRead;
  // A second quiet window: the paused receiver must not keep reading.
  await P.delay(QUIET_MS);
  const readLater = receiver.bytesRead;

  // Now let everything through and check it arrived intact.
  const ended = P.once(receiver, 'end', { timeoutMs: 120_000, label: 'receiver end' });
  sender.end();
  resumed = true;
  receiver.resume();
  await ended;
  const sentTotal = sentDigest.result();
  const gotTotal = got.result();
  return {
    pausedAfterListener,
    stalled,
    sentBeforeStallBelow64MiB: sent < 64 * MiB,
    readWhilePausedBelow32MiB: readAtStall < READ_BOUND,
    bytesReadStableWhilePaused: readLater === readAtStall,
    dataWhilePaused,
    intact: gotTotal.bytes === sentTotal.bytes && gotTotal.sha256 === sentTotal.sha256,
    bytesReadMatches: receiver.bytesRead === sentTotal.bytes,
    // For the failure message only (not compared: exact figures depend on kernel buffers).
    _detail: { sent, readAtStall, readLater, received: gotTotal.bytes },
  };
}

const expectedStall = (r, label) => {
  const { _detail, ...rest } = r;
  assert.deepStrictEqual(
    rest,
    {
      pausedAfterListener: true,
      stalled: true,
      sentBeforeStallBelow64MiB: true,
      readWhilePausedBelow32MiB: true,
      bytesReadStableWhilePaused: true,
      dataWhilePaused: 0,
      intact: true,
      bytesReadMatches: true,
    },
    `${label}: paused receiver did not push back (${JSON.stringify(_detail)})`,
  );
};
const withoutDetail = (results) =>
  Object.fromEntries(Object.entries(results).map(([k, { _detail, ...rest }]) => [k, rest]));

test('a paused accepted socket stops reading: the sending client stalls, then all data arrives', { timeout: 180_000 }, async () => {
  const results = await P.runPairs((mods, scope) => pausedReceiver(mods, scope, 'server'));
  for (const [label, r] of Object.entries(results)) expectedStall(r, label);
  P.assertParity(withoutDetail(results));
});

test('a paused client socket stops reading: the sending server stalls, then all data arrives', { timeout: 180_000 }, async () => {
  const results = await P.runPairs((mods, scope) => pausedReceiver(mods, scope, 'client'));
  for (const [label, r] of Object.entries(results)) expectedStall(r, label);
  P.assertParity(withoutDetail(results));
});

test('createServer({ pauseOnConnect: true }): the accepted socket does not read until resume()', { timeout: 180_000 }, async () => {
  const results = await P.runPairs((mods, scope) => pausedReceiver(mods, scope, 'pauseOnConnect'));
  for (const [label, r] of Object.entries(results)) expectedStall(r, label);
  P.assertParity(withoutDetail(results));
});

// ---------------------------------------------------------------------------
// Stream plumbing on top of sockets.
// ---------------------------------------------------------------------------
test('pipe() through a proxy socket pair (socket.pipe(upstream), upstream.pipe(socket))', { timeout: 60_000 }, async () => {
  // client -> proxy (accepted socket) -> upstream connection -> echo server, and back.
  const payload = P.randomBytes(8 * MiB);
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const echo = await scope.server(server, { onConnection: (s) => s.pipe(s) });
    const proxy = await scope.server(server, {
      // half-open: the client's FIN must not stop the replies still coming back
      options: { allowHalfOpen: true },
      onConnection: (s) => {
        const up = scope.track(client.createConnection(echo.address().port, '127.0.0.1'));
        s.pipe(up).pipe(s);
      },
    });
    const c = scope.track(client.createConnection(proxy.address().port, '127.0.0.1'));
    const rec = P.record(c);
    c.end(payload);
    await P.once(c, 'close', { timeoutMs: 50_000 });
    return { log: rec.view({ exclude: ['finish', 'drain'] }), got: rec.received() };
  });
  P.assertParity(results, {
    log: ['connect', 'ready', `data(${payload.length}B)`, 'end', 'close(false)'],
    got: { bytes: payload.length, sha256: P.sha256(payload) },
  });
});

test('stream.pipeline(source, socket, sink) completes without error and carries every byte', { timeout: 60_000 }, async () => {
  const chunks = Array.from({ length: 64 }, (_, i) => P.randomBytes(1 + i * 1024));
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await scope.server(server, { onConnection: (s) => s.pipe(s) });
    const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const log = [];
    for (const ev of ['end', 'finish', 'close']) c.on(ev, () => log.push(ev));
    const sink = new P.Digest();
    const done = P.deferred(30_000, 'pipeline callback');
    stream.pipeline(
      stream.Readable.from(chunks),
      c,
      new stream.Writable({
        write(chunk, _enc, cb) {
          sink.update(chunk);
          cb();
        },
      }),
      (err) => {
        log.push(`pipeline-cb(${err})`);
        done.resolve();
      },
    );
    await done.promise;
    await P.once(c, 'close');
    return { log, got: sink.result(), destroyed: c.destroyed };
  });
  P.assertParity(results, {
    log: ['finish', 'end', 'pipeline-cb(undefined)', 'close'],
    got: { bytes: chunks.reduce((a, b) => a + b.length, 0), sha256: P.sha256(chunks) },
    destroyed: true,
  });
});

test('stream/promises pipeline: server hashes the upload, client reads the reply', { timeout: 60_000 }, async () => {
  const upload = P.randomBytes(3 * MiB + 17);
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await scope.server(server, {
      options: { allowHalfOpen: true },
      onConnection: async (s) => {
        const d = new P.Digest();
        await streamPromises.pipeline(
          s,
          new stream.Writable({
            write(chunk, _enc, cb) {
              d.update(chunk);
              cb();
            },
          }),
        );
        const r = d.result();
        s.end(`${r.bytes} ${r.sha256}`);
      },
    });
    const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const reply = P.collect(c, { keep: true });
    await streamPromises.pipeline(stream.Readable.from([upload.subarray(0, MiB), upload.subarray(MiB)]), c);
    return (await reply).buffer.toString();
  });
  P.assertParity(results, `${upload.length} ${P.sha256(upload)}`);
});

test('for await (const chunk of socket) reads to the end, then the socket is destroyed', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await scope.server(server, {
      options: { allowHalfOpen: true },
      onConnection: async (s) => {
        // Server side: read the whole request with for-await, then answer on
        // a socket that is still writable (destroyOnReturn: false).
        let request = '';
        for await (const chunk of s.iterator({ destroyOnReturn: false })) request += chunk;
        s.end(`you said ${request.length} bytes: ${request}`);
      },
    });
    const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const log = [];
    for (const ev of ['end', 'finish', 'close']) c.on(ev, () => log.push(ev));
    c.end('ping pong');
    let reply = '';
    for await (const chunk of c) {
      assert.ok(Buffer.isBuffer(chunk));
      reply += chunk;
    }
    log.push(`loop-done destroyed=${c.destroyed}`);
    await P.once(c, 'close');
    return { log, reply };
  });
  P.assertParity(results, {
    log: ['finish', 'end', 'loop-done destroyed=true', 'close'],
    reply: 'you said 9 bytes: ping pong',
  });
});

test("paused mode: 'readable' + read(n) hands out exactly n bytes, the remainder at end", { timeout: 30_000 }, async () => {
  const payload = P.randomBytes(100);
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await scope.server(server, { onConnection: (s) => s.end(payload) });
    const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const reads = [];
    const parts = [];
    c.on('readable', () => {
      let chunk;
      while ((chunk = c.read(30)) !== null) {
        reads.push(chunk.length);
        parts.push(chunk);
      }
    });
    await P.once(c, 'end');
    await P.once(c, 'close');
    return { reads, sha: P.sha256(parts), flowing: c.readableFlowing };
  });
  P.assertParity(results, { reads: [30, 30, 30, 10], sha: P.sha256(payload), flowing: false });
});

test("paused mode: read() with no argument returns everything buffered; 'end' only after the last read", { timeout: 30_000 }, async () => {
  const payload = P.randomBytes(256 * KiB);
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await scope.server(server, { onConnection: (s) => s.end(payload) });
    const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const d = new P.Digest();
    const log = [];
    c.on('readable', () => {
      let chunk;
      while ((chunk = c.read()) !== null) d.update(chunk);
    });
    c.on('end', () => log.push(`end after ${d.bytes} bytes`));
    c.on('close', () => log.push('close'));
    await P.once(c, 'close');
    return { log, got: d.result() };
  });
  P.assertParity(results, {
    log: [`end after ${payload.length} bytes`, 'close'],
    got: { bytes: payload.length, sha256: P.sha256(payload) },
  });
});
