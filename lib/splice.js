'use strict';
// Native splice for `src.pipe(dest)` between two rsnet sockets: while nothing in JS
// could observe the bytes, they go socket to socket in native code (src/stream/splice.rs)
// instead of 'data' -> write() through JS. pipe() itself stays Node's, so its listeners,
// unpipe(), 'end' -> end(), backpressure and error handling are the same objects and
// code as always; the splice only skips the hops nobody can see.
//
// Engaging is a handshake that keeps bytes in order: `offer` arms the source, whose
// native reader stops and answers SPLICE_READY behind any data already sent to JS.
// When that arrives and every earlier byte has reached the destination's handle (the
// source's readable buffer and the destination's Writable buffer are empty), JS commits.
// Whatever would let JS see the source's bytes (a 'data' or 'readable' listener,
// pause(), setEncoding(), unpipe(), cork() on the destination) stops the splice first:
// the Socket methods that do so call `stop` (lib/socket.js).

const { kOwner, kBuffer } = require('./symbols');

// On a source socket: { dest, state: 'off' | 'arming' | 'on', generation }.
const kSplice = Symbol('splice');
// On a destination socket: the source piped into it that may splice.
const kFeeder = Symbol('spliceFeeder');
// On a handle that ever spliced: its native byte counters count toward bytesRead/Written.
const kSpliced = Symbol('spliced');
const kLastActivity = Symbol('spliceLastActivity');

let generation = 0;

// Called by pipe() into another rsnet Socket: remembers the pair, and arms at once if
// possible.
function offer(src, dest) {
  // A second pipe() (even to the same dest) starts over from a stopped splice.
  if (src[kSplice]) stop(src);
  src[kSplice] = { dest, state: 'off', generation: 0 };
  dest[kFeeder] ??= src;
  arm(src);
}

// Called by unpipe(dest) (also what pipe() calls when dest closes, finishes or errs).
function withdraw(src, dest) {
  const splice = src[kSplice];
  if (!splice || (dest !== undefined && dest !== splice.dest)) return;
  stop(src);
  src[kSplice] = undefined;
  if (splice.dest[kFeeder] === src) splice.dest[kFeeder] = undefined;
}

// Back to piping through JS (the pipe stays). Synchronous: once it returns, native
// code moves no more bytes.
function stop(src) {
  const splice = src[kSplice];
  if (!splice || splice.state === 'off') return;
  splice.state = 'off';
  src._handle?.spliceStop();
}

// As a destination: stop the source feeding `dest` natively (cork()).
function stopFeeder(dest) {
  const src = dest[kFeeder];
  if (src) stop(src);
}

// Something changed that may make a remembered pair spliceable again (connect, drain,
// resume, uncork): try both roles of `socket`.
function retry(socket) {
  if (socket[kSplice]) arm(socket);
  const src = socket[kFeeder];
  if (src && src[kSplice]?.dest === socket) arm(src);
}

function arm(src) {
  const splice = src[kSplice];
  if (splice.state !== 'off' || !canArm(src, splice.dest)) return;
  generation = (generation + 1) & 0x7fffffff;
  // Not now (a side not reading yet under the loop driver): a later retry may.
  if (src._handle.spliceTo(splice.dest._handle, generation) !== 0) return;
  splice.state = 'arming';
  splice.generation = generation;
  // The one source that may feed dest natively now (cork() stops this one).
  splice.dest[kFeeder] = src;
  src._handle[kSpliced] = true;
  splice.dest._handle[kSpliced] = true;
}

// The handle's SPLICE_READY event: all bytes read before it have been delivered.
function onSpliceReady(readyGeneration) {
  const src = this[kOwner];
  const splice = src?.[kSplice];
  if (!splice || splice.state !== 'arming' || splice.generation !== readyGeneration) return;
  if (canArm(src, splice.dest) && allHandedOver(src, splice.dest) &&
      this.spliceCommit(readyGeneration)) {
    splice.state = 'on';
  } else {
    stop(src);
  }
}

// The pipe is the source's only consumer, and both ends are open and connected.
function canArm(src, dest) {
  const rs = src._readableState;
  return Boolean(src._handle?.spliceTo && dest._handle?.spliceTo) &&
    !src.connecting && !dest.connecting && !src.destroyed && !dest.destroyed &&
    src[kBuffer] == null && rs.flowing === true && !rs.ended && rs.encoding === null &&
    rs.pipes.length === 1 && rs.pipes[0] === dest &&
    src.listenerCount('data') === 1 && src.listenerCount('readable') === 0 &&
    !dest.writableEnded && dest.writableCorked === 0;
}

// Nothing read from src is still on its way through JS to dest's handle.
function allHandedOver(src, dest) {
  return src.readableLength === 0 && dest.writableBuffer.length === 0 && !dest.writableNeedDrain;
}

// Native byte counters, for bytesRead/bytesWritten; 0 for a handle that never spliced.
function splicedRead(handle) {
  return handle[kSpliced] ? handle.splicedRead : 0;
}

function splicedWritten(handle) {
  return handle[kSpliced] ? handle.splicedWritten : 0;
}

// For the idle timeout: did bytes move natively since the last check?
function hadActivity(socket) {
  const handle = socket._handle;
  if (!handle?.[kSpliced]) return false;
  const moved = handle.splicedRead + handle.splicedWritten;
  if (moved === (socket[kLastActivity] ?? 0)) return false;
  socket[kLastActivity] = moved;
  return true;
}

module.exports = {
  offer,
  withdraw,
  stop,
  stopFeeder,
  retry,
  onSpliceReady,
  splicedRead,
  splicedWritten,
  hadActivity,
};
