'use strict';
// The router that hands each native event batch to its handles, and the addon's
// classes and constants for the rest of lib/ (lib/native.js loads the addon).
//
// Native code calls JS through one function per environment (`dispatch`), with a whole
// batch at a time: in an ArrayBuffer of int32 records that every batch reuses, a
// header `[count, loopTurn, nextTurn, 0]` and then `count` records `[kind, id, a, b]`;
// the bytes of small DATA records in a shared data block (b is the offset), large
// chunks (b < 0) and accepted handles in `objects` (see src/napi/batch.rs). Each
// handle registers under its id while open; events for handles closed meanwhile are
// dropped here.

const { initHandleContext, runInHandleContext } = require('./async_context');
const { kIsPipe } = require('./symbols');

const native = require('./native');

// A batch record's width and event kinds, and libuv's statuses, as the addon defines
// them (src/napi/batch.rs, src/sys/errno.rs).
const { recordFields: RECORD_INTS, events: EVENTS, errno, writeStatus } = native.constants();
const { DATA, EOF, READ_ERROR, WRITTEN, WRITE_ERROR, SHUTDOWN, CONNECTED, ACCEPTED, ACCEPT_ERROR, SPLICE_READY } = EVENTS;
const { UV_EOF } = errno;

// Node's own Buffer class (Buffer[Symbol.species]): `new FastBuffer(arrayBuffer,
// offset, length)` makes a Buffer over a range of a data block in JS, as Node's
// `Buffer.from(arrayBuffer, ...)` does after its checks.
const FastBuffer = Buffer[Symbol.species];

const live = new Map();

function track(handle) {
  live.set(handle.id, handle);
}

// The open handles, oldest first (for process.getActiveResourcesInfo()).
function liveHandles() {
  return live.values();
}

function untrack(handle) {
  live.delete(handle.id);
}

// 'close' callbacks run in libuv's close phase (native scheduleClose: after this turn's
// I/O and immediates, newest first). While one is pending, the rest of a batch and any
// new batch wait behind it (see `runBatch` and `dispatch`): libuv's close phase comes
// before any later I/O callback. The last close to run resumes delivery.
let pendingCloses = 0;

function scheduleClose(callback) {
  pendingCloses++;
  const run = () => {
    pendingCloses--;
    callReporting(callback);
    if (pendingCloses === 0 && backlog.length > 0) {
      // Ticks queued by this 'close' run before the next I/O event, as in Node. The
      // close phase comes after the check phase: what waited for a turn may go.
      runTicks();
      turn++;
      drain();
    }
  };
  if (!native.scheduleClose(run)) setImmediate(run);
}

// A handler that throws, or a tick that throws between two events, is an uncaught
// exception at once, as in one of Node's own I/O callbacks, and the next event still
// comes. It must not unwind out of the batch: a throwing tick leaves its async id on
// Node's async-id stack, which only Node's uncaught-exception path clears (see
// src/napi/uncaught.rs).
function callReporting(fn, a, b, c, d, e) {
  try {
    fn(a, b, c, d, e);
  } catch (err) {
    native.reportUncaught(err);
  }
}

// The nextTick and microtask queues, run between two events as Node runs them
// between two I/O callbacks. Node's tick function, taken once (Node's native code
// too keeps the one it was given at start-up): the global `process` is an accessor,
// a getter call on every read.
const tickCallback = process._tickCallback;
function runTicks() {
  callReporting(tickCallback);
}

// Batches not yet fully delivered, oldest first. A batch can pause (see `runBatch`);
// later batches wait behind it so that events are never reordered.
const backlog = [];

// libuv reads a socket at most once per loop turn unless the read filled its buffer:
// the read after a short one (often the EOF), and the first read of a connection just
// made or accepted, come on a later turn, after the check phase (setImmediate) and the
// close phase. Native code may have read both in one go; such an event waits for the
// next turn, so that `setImmediate` and 'close' callbacks scheduled on 'data' or
// 'connect' run before it, as in Node.
let turn = 0;
let lastLoopTurn = -1;
let waitingForTurn = false;
const kReadTurn = Symbol('readTurn');
const kOpenedTurn = Symbol('openedTurn');

function waitsForNextTurn(handle, kind) {
  if (kind === DATA) return handle[kOpenedTurn] === turn;
  if (kind === EOF || kind === READ_ERROR) return handle[kReadTurn] === turn || handle[kOpenedTurn] === turn;
  return false;
}

// Holds delivery until the next loop turn: native code calls back (an empty batch
// marked forNextTurn) from a prepare handle, right before that turn's poll phase, so
// after this turn's setImmediate callbacks and close phase, where libuv's next reads
// would come.
function waitForNextTurn() {
  waitingForTurn = true;
  native.requestNextTurn();
}

function nextTurn() {
  waitingForTurn = false;
  turn++;
  runEarlierCompletions();
  drain();
}

function idle() {
  return backlog.length === 0 && pendingCloses === 0 && !waitingForTurn;
}

// The view over native code's records ArrayBuffer, made again only when native code
// hands a new one (the first batch, or one that outgrew it).
let records = new Int32Array(0);

// The batch being delivered straight from native memory: one object, reused by every
// batch. A batch that cannot be delivered to its end now is copied into the backlog
// (`keep`), since the next batch overwrites the records.
const current = { records, end: 0, next: 0, objects: undefined, block: undefined };

// The header's fields (record 0 of the records).
const COUNT = 0;
const LOOP_TURN = 1;
const NEXT_TURN = 2;

function dispatch(recordsBuffer, objects, block) {
  if (recordsBuffer !== undefined) records = new Int32Array(recordsBuffer);
  const count = records[COUNT];
  if (count === 0) {
    // An empty batch is native code's call to complete one request (see afterIo), or
    // the start of the next loop turn (see waitForNextTurn).
    if (records[NEXT_TURN] !== 0) nextTurn();
    else runOneAfterIo();
  } else {
    // `nextTurn`: a runtime thread read this while JS ran this turn's callbacks;
    // libuv would see it on its next poll, after this turn's setImmediate callbacks.
    deliverBatch(count, objects, block, records[LOOP_TURN], records[NEXT_TURN] !== 0);
  }
}

function deliverBatch(count, objects, block, loopTurn, forNextTurn) {
  runEarlierCompletions();
  if (forNextTurn && !waitingForTurn) {
    waitForNextTurn();
  } else if (idle()) {
    // Several native callbacks can come in one turn; libuv's count tells them apart
    // (without it, each callback counts as a turn of its own).
    if (loopTurn !== lastLoopTurn || loopTurn < 0) turn++;
    lastLoopTurn = loopTurn;
  }
  const batch = current;
  batch.records = records;
  batch.end = (count + 1) * RECORD_INTS;
  batch.next = RECORD_INTS;
  batch.objects = objects;
  batch.block = block;
  if (idle()) {
    if (!runBatch(batch)) backlog.push(keep(batch));
  } else {
    backlog.push(keep(batch));
  }
  batch.objects = batch.block = undefined;
}

// A copy of what a batch still has to deliver, for the backlog.
function keep(batch) {
  const { end, next, objects, block } = batch;
  return { records: batch.records.slice(0, end), end, next, objects, block };
}

// Requests that completed at once (a FIN sent with nothing queued). libuv completes
// them from its pending queue, which it runs right after the poll phase's I/O
// callbacks, before the check phase (setImmediate). Native code calls back once per
// completion from its check handle, which runs before Node's: each completion is then
// a callback of its own, after this turn's I/O events.
const afterIo = [];

function completeAfterIo(callback) {
  afterIo.push(callback);
  native.requestCompletion();
}

// Completions requested before the I/O about to be delivered (by a setImmediate or
// timer callback, after this turn's check handle ran): libuv runs them from the
// pending queue at the start of the next turn, before it polls for I/O again.
function runEarlierCompletions() {
  while (afterIo.length > 0) {
    callReporting(afterIo.shift());
    runTicks();
  }
}

function runOneAfterIo() {
  const callback = afterIo.shift();
  if (afterIo.length > 0) native.requestCompletion();
  if (callback !== undefined) callReporting(callback);
}

function drain() {
  for (let first = true; backlog.length > 0; first = false) {
    // Behind a pending close (the close phase resumes delivery) or a turn boundary.
    if (pendingCloses > 0 || waitingForTurn) return;
    // Each batch is an I/O callback of its own: the previous one's ticks run first.
    if (!first) runTicks();
    if (!runBatch(backlog[0])) return;
    backlog.shift();
  }
}

// Delivers a batch's events in order; returns false if it paused. Each event is a
// callback of its own, as in Node: the nextTick and microtask queues are drained
// between two events (Node's timers do the same between timers). When an event led to
// a 'close' being scheduled, the rest waits until after it, as libuv's close phase
// comes before any further I/O callback.
function runBatch(batch) {
  const { records, end, objects, block } = batch;
  while (batch.next < end) {
    const i = batch.next;
    if (i > RECORD_INTS) {
      runTicks();
      if (pendingCloses > 0) return false;
    }
    const kind = records[i];
    const handle = live.get(records[i + 1]);
    if (handle !== undefined && waitsForNextTurn(handle, kind)) {
      waitForNextTurn();
      return false;
    }
    batch.next += RECORD_INTS;
    const a = records[i + 2];
    let chunk;
    if (kind === DATA) {
      // A view of the data block, no copy beyond the one native code made; or a
      // large chunk's own Buffer, or the Buffer it was read into, longer than the
      // chunk when the read did not fill it.
      const at = records[i + 3];
      chunk = at >= 0 ? new FastBuffer(block, at, a) : objects[-1 - at];
      if (chunk.length !== a) chunk = new FastBuffer(chunk.buffer, chunk.byteOffset, a);
    }
    if (handle !== undefined) {
      callReporting(deliver, handle, kind, a, chunk, objects);
    } else if (kind === ACCEPTED) {
      // Accepted natively just before its server closed: nobody will own it. The kernel
      // resets a connection still in a closed listener's backlog; so does rsnet.
      objects[a].reset();
    }
  }
  return true;
}

// Runs one event in its handle's async context, as Node's handle callbacks run.
function deliver(handle, kind, a, chunk, objects) {
  if (kind === ACCEPTED) {
    // As libuv creates it before calling the server back, an accepted connection's
    // handle does not take on the server's context.
    const client = objects[a];
    initHandleContext(client, { isPipe: handle[kIsPipe] });
    client[kOpenedTurn] = turn;
    track(client);
  } else if (kind === DATA) {
    handle[kReadTurn] = turn;
  } else if (kind === CONNECTED) {
    handle[kOpenedTurn] = turn;
  }
  return runInHandleContext(handle, handleEvent, handle, kind, a, chunk, objects);
}

function handleEvent(handle, kind, a, chunk, objects) {
  switch (kind) {
    case DATA: return handle.onread(a, chunk);
    // Native code settled a completion's requests as it encoded it: an idle handle, as
    // in libuv, no longer keeps the process alive.
    case EOF:
      handle.readStop();
      return handle.onread(UV_EOF);
    case READ_ERROR:
      handle.readStop();
      return handle.onread(a);
    case WRITTEN: return handle.onwritten(a);
    case WRITE_ERROR: return handle.onwriteerror(a);
    case SHUTDOWN: return handle.onshutdown(a);
    case CONNECTED: return handle.onconnect(a);
    case ACCEPTED: return handle.onconnection(0, objects[a]);
    case ACCEPT_ERROR: return handle.onconnection(a);
    case SPLICE_READY: return handle.onspliceready(a);
  }
}

native.init(dispatch);

module.exports = {
  SocketHandle: native.SocketHandle,
  ServerHandle: native.ServerHandle,
  guessHandleType: native.guessHandleType,
  dupFd: native.dupFd,
  track,
  untrack,
  liveHandles,
  scheduleClose,
  completeAfterIo,
  runTicks,
  errno,
  // What a write or shutdown verb returns when it did not fail: done now, or queued
  // until an event completes it.
  writeStatus,
  UV_EOF,
};
