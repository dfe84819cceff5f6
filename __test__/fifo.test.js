'use strict';
// new net.Socket({fd}) over a FIFO, which Node opens as a pipe handle: it reads only if
// the fd was opened for reading and writes only if it was opened for writing. Each
// scenario runs once with built-in net and once with rsnet; both must record the same
// events per socket, the same bytes and the same errors. (Events of two different
// sockets may interleave differently: only each socket's own order is compared.)
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const P = require('./helpers/parity');
const { shape } = require('./fixtures/util');

const T = { timeout: 30_000 };
const { O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK } = fs.constants;
const BIG = 300 * 1024; // several times a pipe's 64 KiB buffer: the writer must wait

// A fresh FIFO in a temp dir; `open(flags)` opens it (non-blocking, so opening one end
// does not wait for the other). Everything is removed by `remove()`.
function makeFifo() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-fifo-'));
  const file = path.join(dir, 'fifo');
  execFileSync('mkfifo', [file]);
  return {
    open: (flags) => fs.openSync(file, flags | O_NONBLOCK),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function openFds() {
  return fs.readdirSync('/proc/self/fd').length;
}

// Counts the fds open once `mod` has adopted and closed a FIFO before: both modules
// open a few fds for good on first use (libuv a /dev/null reserve, rsnet its runtime).
async function settledFds(mod) {
  const fifo = makeFifo();
  try {
    const sock = new mod.Socket({ fd: fifo.open(O_RDWR) });
    sock.destroy();
    await P.once(sock, 'close');
  } finally {
    fifo.remove();
  }
  return openFds();
}

// Records a socket's events in order; data is merged (its chunking is not behaviour).
function recordEvents(sock) {
  const events = [];
  let data = Buffer.alloc(0);
  sock.on('data', (d) => {
    if (data.length === 0) events.push('data');
    data = Buffer.concat([data, d]);
  });
  for (const name of ['end', 'finish', 'drain', 'timeout']) sock.on(name, () => events.push(name));
  sock.on('error', (e) => events.push(['error', shape(e)]));
  sock.on('close', (hadError) => events.push(['close', hadError]));
  return { events, received: () => data };
}

function state(sock) {
  return {
    readyState: sock.readyState,
    readable: sock.readable,
    writable: sock.writable,
    pending: sock.pending,
    connecting: sock.connecting,
    address: sock.address(),
    remoteAddress: sock.remoteAddress,
  };
}

test('a one-way FIFO carries every byte from writer to reader, then end and close, as net', T, async () => {
  const results = await P.runBoth(async (mod) => {
    const fdsBefore = await settledFds(mod);
    const fifo = makeFifo();
    try {
      const reader = new mod.Socket({ fd: fifo.open(O_RDONLY), readable: true, writable: false });
      const writer = new mod.Socket({ fd: fifo.open(O_WRONLY), readable: false, writable: true });
      const initial = { reader: state(reader), writer: state(writer) };
      const r = recordEvents(reader);
      const w = recordEvents(writer);
      const callbacks = [];
      const big = P.randomBytes(BIG);
      writer.write('small ', () => callbacks.push('small'));
      const bigAccepted = writer.write(big, () => callbacks.push('big'));
      writer.end('tail', () => callbacks.push('end'));
      await P.withTimeout(Promise.all([P.once(reader, 'close'), P.once(writer, 'close')]), 15_000, 'both closed');
      return {
        initial,
        bigAccepted,
        callbacks,
        reader: r.events,
        writer: w.events,
        sameBytes: r.received().equals(Buffer.concat([Buffer.from('small '), big, Buffer.from('tail')])),
        bytesRead: reader.bytesRead,
        bytesWritten: writer.bytesWritten,
        fdsLeft: openFds() - fdsBefore,
      };
    } finally {
      fifo.remove();
    }
  });
  P.assertParity(results, (r) => {
    assert.deepEqual(r.initial.reader.readyState, 'readOnly');
    assert.deepEqual(r.initial.writer.readyState, 'writeOnly');
    assert.equal(r.sameBytes, true);
    assert.equal(r.bytesRead, BIG + 10);
    assert.equal(r.fdsLeft, 0);
  });
});

test('a one-way FIFO end used the other way fails as net: read ENOTCONN, write EPIPE', T, async () => {
  const results = await P.runBoth(async (mod) => {
    const fifo = makeFifo();
    try {
      // Default options: both ends try to read and write.
      const reader = new mod.Socket({ fd: fifo.open(O_RDONLY) });
      const writer = new mod.Socket({ fd: fifo.open(O_WRONLY) });
      const initial = { reader: state(reader), writer: state(writer) };
      const r = recordEvents(reader);
      const w = recordEvents(writer);
      const closed = Promise.all([reader, writer].map((s) => P.once(s, 'close', { rejectOnError: false })));
      let writeError;
      reader.write('wrong way', (e) => { writeError = shape(e); });
      await P.withTimeout(closed, 15_000, 'both closed');
      // A write the handle refused is not counted as written.
      const counted = { bytesWritten: reader.bytesWritten, dispatched: reader._bytesDispatched };
      return { initial, reader: r.events, writer: w.events, writeError, counted };
    } finally {
      fifo.remove();
    }
  });
  P.assertParity(results, (r) => {
    assert.equal(r.writeError.code, 'EPIPE');
    assert.deepEqual(r.counted, { bytesWritten: 0, dispatched: 0 });
    assert.deepEqual(r.writer[0], ['error', r.writer[0][1]]);
    assert.equal(r.writer[0][1].code, 'ENOTCONN');
  });
});

test('an O_RDWR FIFO reads back what it writes; end() sends no EOF on a pipe', T, async () => {
  const results = await P.runBoth(async (mod) => {
    const fdsBefore = await settledFds(mod);
    const fifo = makeFifo();
    try {
      const sock = new mod.Socket({ fd: fifo.open(O_RDWR) });
      const initial = state(sock);
      const rec = recordEvents(sock);
      const echoed = P.deferred(10_000, 'echo');
      sock.on('data', () => { if (rec.received().length === 9) echoed.resolve(); });
      sock.write('ping-');
      sock.write('pong');
      await echoed.promise;
      sock.end();
      await P.once(sock, 'finish');
      // Still open for reading: a FIFO opened for writing too never reaches EOF.
      const afterEnd = { readyState: sock.readyState, destroyed: sock.destroyed };
      sock.destroy();
      await P.once(sock, 'close');
      return {
        initial,
        afterEnd,
        events: rec.events,
        received: rec.received().toString(),
        bytesRead: sock.bytesRead,
        bytesWritten: sock.bytesWritten,
        fdsLeft: openFds() - fdsBefore,
      };
    } finally {
      fifo.remove();
    }
  });
  P.assertParity(results, (r) => {
    assert.equal(r.received, 'ping-pong');
    assert.deepEqual(r.afterEnd, { readyState: 'readOnly', destroyed: false });
    assert.equal(r.fdsLeft, 0);
  });
});

test('writing to a FIFO whose reader is gone fails with write EPIPE, as net', T, async () => {
  const results = await P.runBoth(async (mod) => {
    const fifo = makeFifo();
    try {
      const reader = new mod.Socket({ fd: fifo.open(O_RDONLY), writable: false });
      const writer = new mod.Socket({ fd: fifo.open(O_WRONLY), readable: false });
      const w = recordEvents(writer);
      reader.destroy();
      await P.once(reader, 'close');
      let callbackError;
      writer.write('nobody reads this', (e) => { callbackError = shape(e); });
      await P.once(writer, 'close', { rejectOnError: false });
      return { writer: w.events, callbackError };
    } finally {
      fifo.remove();
    }
  });
  P.assertParity(results, (r) => {
    assert.equal(r.callbackError.code, 'EPIPE');
    assert.deepEqual(r.writer.at(-1), ['close', true]);
  });
});

test('listen({fd}) on a FIFO fails with listen ENOTSOCK and closes the fd, as net', T, async () => {
  const results = await P.runBoth(async (mod) => {
    const fdsBefore = await settledFds(mod);
    const fifo = makeFifo();
    try {
      const server = mod.createServer();
      server.listen({ fd: fifo.open(O_RDWR) });
      const [err] = await P.once(server, 'error', { rejectOnError: false });
      return { error: shape(err), listening: server.listening, fdsLeft: openFds() - fdsBefore };
    } finally {
      fifo.remove();
    }
  });
  P.assertParity(results, (r) => {
    assert.equal(r.error.code, 'ENOTSOCK');
    assert.equal(r.fdsLeft, 0);
  });
});
