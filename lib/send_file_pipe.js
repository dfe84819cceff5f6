'use strict';
// fs.createReadStream(path).pipe(rsnetSocket) by sendfile(2) (rsnet beyond net, issue #20).
//
// pipe() itself stays Node's: its listeners, 'unpipe', 'end' -> end(), error handling
// are the same objects and code as always. What changes is where the ReadStream's
// bytes come from: when the socket sees 'pipe' from a plain fs.ReadStream, that stream
// gets a _read of its own, and when Node first asks it for bytes (after it opened the
// file) and nothing but the pipe could see them, the file's remaining range goes to
// the socket through lib/send_file.js (sendfile(2) on a runtime thread), in slices.
//
// Each slice is one write in the socket's queue, in order with every other write. A
// slice that found the socket full (the kernel held it back) is reported as a chunk
// the pipe wrote into a full socket: the source paused, the socket's 'drain', then
// the source flowing again, as the pipe's own drain handler does it. bytesRead,
// `pos` and the socket's bytesWritten advance per slice. After the last slice the
// source pushes its end, so 'end', the pipe's end() ('finish') and the ReadStream's
// 'close' come from Node's own code. Between slices the takeover checks again that
// nothing else could see the bytes (unpipe, a 'data' listener, setEncoding, destroy):
// if something could, the ReadStream reads on by itself from where the slices stopped.
//
// A paused or slow peer holds sendfile(2) on the socket's writability: no memory grows.
// A sendfile(2) failure that names the file (EIO...) is the ReadStream's read error;
// any other is the socket's write error. A file the kernel cannot sendfile(2) from
// (EINVAL before any byte moved) falls back to reading it in JS, silently.

const fs = require('node:fs');
const util = require('node:util');
const { ErrnoException } = require('./errors');
const { queueFileWrite } = require('./send_file');

// Bytes per slice: big enough that the JS round trip per slice is noise, small enough
// that an unpipe() or a 'data' listener added mid-transfer takes effect soon.
const SLICE = 4 * 1024 * 1024;
// sendfile(2) errors that come from the file, not the socket (as negative statuses).
const { errno } = require('node:os').constants;
const FILE_ERRORS = new Set(['EIO', 'EOVERFLOW', 'ESPIPE', 'ENXIO', 'EISDIR'].map((name) => -errno[name]));
const EINVAL = -errno.EINVAL;

const readStreamRead = fs.ReadStream.prototype._read;
// On a ReadStream being taken over: { dest, state: 'armed' | 'sending' | 'off', moved }
// (moved: some bytes went by sendfile(2)).
const kTakeover = Symbol('sendFilePipe');

function install(Socket) {
  const emit = Socket.prototype.emit;
  // 'pipe' is the one event this needs; every other emit pays one comparison. The
  // listeners get exactly the arguments given; the common counts go by call(), which
  // V8 inlines (about as fast as no wrapper; apply(arguments) cost ~15 ns per emit).
  Socket.prototype.emit = function(event, a, b) {
    if (event === 'pipe') return emitPipe(this, emit, arguments);
    switch (arguments.length) {
      case 1: return emit.call(this, event);
      case 2: return emit.call(this, event, a);
      case 3: return emit.call(this, event, a, b);
      default: return emit.apply(this, arguments);
    }
  };
}

// The user's 'pipe' listeners first: they may make the bytes visible to JS.
function emitPipe(dest, emit, args) {
  const result = emit.apply(dest, args);
  offer(args[1], dest);
  return result;
}

// The socket's 'pipe' event: arm the source if it is a plain fs.ReadStream.
function offer(src, dest) {
  if (process.platform !== 'linux' || !isPlainReadStream(src) || src[kTakeover] !== undefined) return;
  // Without `start` the stream reads at the fd's own offset: known only for an fd the
  // stream opens itself (0, then bytesRead).
  const ownFd = typeof src.fd !== 'number';
  if (src.pos === undefined && !ownFd) return;
  src[kTakeover] = { dest, state: 'armed', moved: false };
  src._read = takeoverRead;
}

function isPlainReadStream(src) {
  // Anything may be emitted as 'pipe' by hand: only a ReadStream's own prototype counts.
  if (!(src instanceof fs.ReadStream) || Object.getPrototypeOf(src) !== fs.ReadStream.prototype ||
      Object.hasOwn(src, '_read')) return false;
  // A custom `fs` option (or a FileHandle's operations) reads some other way.
  const kFs = Object.getOwnPropertySymbols(src).find((s) => s.description === 'kFs');
  return kFs !== undefined && src[kFs] === fs;
}

// Nothing but the pipe into `dest` could see the source's bytes, and both are open.
function canSend(src, dest) {
  const rs = src._readableState;
  return !src.destroyed && !rs.ended && rs.encoding === null && rs.length === 0 &&
    rs.flowing !== false && rs.pipes.length === 1 && rs.pipes[0] === dest &&
    src.listenerCount('data') === 1 && src.listenerCount('readable') === 0 &&
    typeof src.fd === 'number' && Boolean(dest._handle?.sendFile) && !dest.connecting &&
    !dest.destroyed && !dest.writableEnded && dest.writableCorked === 0;
}

// The ReadStream's _read while armed: the first call decides (once the socket is
// connected, for `createReadStream(f).pipe(net.connect(...))`).
function takeoverRead(n) {
  const takeover = this[kTakeover];
  const { dest } = takeover;
  if (takeover.state === 'armed' && dest.connecting && !dest.destroyed) return afterConnect(this, dest, n);
  if (takeover.state !== 'armed' || !canSend(this, dest)) return giveBack(this, n);
  takeover.state = 'sending';
  fs.fstat(this.fd, (err, stats) => {
    if (err || !stats.isFile() || !canSend(this, takeover.dest)) return giveBack(this, n);
    sendSlice(this, takeover, n);
  });
}

// The pipe's writes would wait for the connect too: the source reads nothing until then.
function afterConnect(src, dest, n) {
  const onConnect = () => {
    dest.off('close', onClose);
    takeoverRead.call(src, n);
  };
  const onClose = () => {
    dest.off('connect', onConnect);
    giveBack(src, n);
  };
  dest.once('connect', onConnect);
  dest.once('close', onClose);
}

// Back to Node's own reading, from where the slices stopped; `n` is the pending read.
function giveBack(src, n) {
  const takeover = src[kTakeover];
  takeover.state = 'off';
  delete src._read;
  // sendfile(2) at an offset leaves the fd's own offset where it was, and a stream
  // without `start` reads at that offset: from here on it reads at explicit positions.
  if (takeover.moved && src.pos === undefined) src.pos = src.bytesRead;
  if (!src.destroyed) readStreamRead.call(src, n);
}

function sendSlice(src, takeover, n) {
  const { dest } = takeover;
  const position = src.pos !== undefined ? src.pos : src.bytesRead;
  const length = Math.min(SLICE, src.end - position + 1);
  if (length <= 0) return finish(src);
  let fileError = null;
  const job = { file: src.fd, start: position, length, sent: 0, fileError: null, failed: null, settled: null };
  job.failed = (status) => {
    if (FILE_ERRORS.has(status) || (status === EINVAL && job.sent === 0)) {
      fileError = status;
      return undefined; // the socket's write succeeded: the file failed
    }
    return new ErrnoException(status, 'write');
  };
  queueFileWrite(dest, job, (writeErr) => {
    if (job.sent > 0) {
      if (src.pos !== undefined) src.pos += job.sent;
      src.bytesRead += job.sent;
      takeover.moved = true;
    }
    // The socket failed: its own error destroyed it, and the pipe unpipes on its
    // 'close'. The source reads on by itself, as it would after that unpipe.
    if (writeErr) return giveBack(src, n);
    if (src.destroyed) return;
    if (fileError !== null) {
      // Not sendfile-able from the start: read it in JS instead.
      if (fileError === EINVAL && job.sent === 0) return giveBack(src, n);
      return src.destroy(fsReadError(fileError));
    }
    if (job.sent < length) return finish(src); // the file ended
    resumeFlow(src);
    if (canSend(src, dest)) sendSlice(src, takeover, n);
    else giveBack(src, n);
  });
  // A slice that found the socket full is what a chunk the pipe wrote into a full
  // socket is: the source paused until the socket drains. Only the kernel knows, so
  // this is told as the slice ends, just before the socket's write completes.
  job.settled = (waited) => {
    if (!waited || dest.destroyed) return;
    dest._writableState.needDrain = true;
    src.pause();
  };
}

// The error fs.read() gives for `status`: 'EIO: i/o error, read', errno, code, syscall.
function fsReadError(status) {
  const [code, description] = util.getSystemErrorMap().get(status) ?? ['UNKNOWN', 'unknown error'];
  const err = new Error(`${code}: ${description}, read`);
  err.errno = status;
  err.code = code;
  err.syscall = 'read';
  return err;
}

// What the pipe's drain handler does: flowing again, without a 'resume' event.
function resumeFlow(src) {
  const rs = src._readableState;
  if (rs.pipes.length !== 0) rs.flowing = true;
}

function finish(src) {
  src[kTakeover].state = 'off';
  delete src._read;
  resumeFlow(src);
  src.push(null);
}

module.exports = { install };
