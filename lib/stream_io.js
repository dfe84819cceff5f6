'use strict';
// The stream plumbing between a Socket and its native handle, the counterpart of
// Node's stream_base_commons: what arrives from the handle (data, EOF, errors, write
// and shutdown completions) and how writes are handed to it.

const { isUint8Array } = require('node:util').types;

const { SocketHandle, UV_EOF, writeStatus: { DONE, QUEUED } } = require('./binding');
const { ErrnoException } = require('./errors');
const { kOwner, kBuffer, kBufferCb, kBufferGen, kLastWriteQueueSize } = require('./symbols');
const splice = require('./splice');

const kPendingWrites = Symbol('pendingWrites');
const kOnreadBacklog = Symbol('onreadBacklog');
const kShutdownCallback = Symbol('shutdownCallback');

// The native write verbs take rsnet's arguments (the bytes alone; writev's chunks may
// also be strings to write as latin1, which it copies itself); the handle's public
// writeBuffer/writev take Node's (a request object first, see below).
const kWriteBuffer = Symbol('kWriteBuffer');
const kWritev = Symbol('kWritev');
SocketHandle.prototype[kWriteBuffer] = SocketHandle.prototype.writeBuffer;
SocketHandle.prototype[kWritev] = SocketHandle.prototype.writev;

function takePendingWrites(handle) {
  const pending = handle[kPendingWrites];
  if (!pending || pending.length === 0) return [];
  handle[kPendingWrites] = [];
  return pending;
}

// Write callbacks of a closed handle complete (with no error), as libuv cancels them.
function failPendingWrites(handle) {
  for (const cb of takePendingWrites(handle)) process.nextTick(cb, null);
}

// The same from the close phase, where libuv runs them: at once, before 'close'.
function cancelPendingWrites(handle) {
  for (const cb of takePendingWrites(handle)) cb(null);
}

// Hands one write (or a corked writev) to the handle. Most writes complete at once
// (the kernel took them); the rest complete on the handle's `onwritten` event.
function writeToHandle(socket, writev, data, encoding, cb) {
  const handle = socket._handle;
  let status;
  let bytes = 0;
  if (writev) {
    const buffers = new Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const { chunk, encoding: chunkEncoding } = data[i];
      // A latin1 string (Node's http writes every response head as one) goes as it
      // is: one byte per UTF-16 unit, so its length is its byte count.
      buffers[i] = typeof chunk === 'string' && !isLatin1(chunkEncoding) ? stringChunk(chunk, chunkEncoding) : chunk;
      bytes += buffers[i].length;
    }
    status = handle[kWritev](buffers);
  } else {
    const buffer = typeof data === 'string' ? stringToWrite(data, encoding) : data;
    bytes = buffer.length;
    status = handle[kWriteBuffer](buffer);
  }
  // Only a write the handle took counts (Node's StreamBase counts dispatched bytes).
  if (status >= 0) handle.bytesWritten += bytes;
  if (status === DONE) {
    cb();
  } else if (status === QUEUED) {
    // Completes when native code reports it flushed (onwritten).
    socket[kLastWriteQueueSize] = bytes;
    (handle[kPendingWrites] ??= []).push(cb);
  } else {
    cb(new ErrnoException(status, 'write'));
  }
}

// write(string, 'buffer') passes Writable's checks (decodeStrings is off); Node's
// handle then refuses a string where its writeBuffer() wants bytes.
function stringToWrite(string, encoding) {
  if (encoding === 'buffer') throw notABuffer();
  return Buffer.from(string, encoding);
}

function isLatin1(encoding) {
  return encoding === 'latin1' || encoding === 'binary';
}

// In a corked batch, Node's native writev() encodes a string tagged 'buffer' as UTF-8.
function stringChunk(string, encoding) {
  return Buffer.from(string, encoding === 'buffer' ? 'utf8' : encoding);
}

// Node's native type error: a plain TypeError with a code.
function notABuffer() {
  const err = new TypeError('Second argument must be a buffer');
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

// Node's StreamBase write verbs, for code that calls a socket's handle directly:
// writeBuffer(req, buffer) and writev(req, chunks, allBuffers) (chunks alternate with
// their encodings unless allBuffers). They return 0 or a negative errno; a write that
// the kernel did not take at once completes later through req.oncomplete(status, handle).
SocketHandle.prototype.writeBuffer = function writeBuffer(req, data) {
  if (!isUint8Array(data)) throw notABuffer();
  return writeRequest(this, req, data.length, this[kWriteBuffer](data));
};

SocketHandle.prototype.writev = function writev(req, chunks, allBuffers) {
  let buffers = chunks;
  if (!allBuffers) {
    buffers = [];
    for (let i = 0; i < chunks.length; i += 2) {
      const chunk = chunks[i];
      if (isUint8Array(chunk)) buffers.push(chunk);
      else if (typeof chunk === 'string' && isLatin1(chunks[i + 1])) buffers.push(chunk);
      else buffers.push(stringChunk(String(chunk), chunks[i + 1]));
    }
  }
  let bytes = 0;
  for (const buffer of buffers) bytes += buffer.length;
  return writeRequest(this, req, bytes, this[kWritev](buffers));
};

function writeRequest(handle, req, bytes, status) {
  if (status < 0) return status;
  handle.bytesWritten = (handle.bytesWritten ?? 0) + bytes;
  req.bytes = bytes;
  req.async = status === QUEUED;
  if (status === QUEUED) {
    (handle[kPendingWrites] ??= []).push(() => req.oncomplete?.(0, handle));
  }
  return 0;
}

function onWritten(count) {
  const self = this[kOwner];
  const pending = this[kPendingWrites] ?? [];
  for (let i = 0; i < count && pending.length > 0; i++) {
    const cb = pending.shift();
    if (self.destroyed) {
      cb(null);
      continue;
    }
    self._unrefTimer();
    self[kLastWriteQueueSize] = 0;
    cb(null);
  }
  // The callbacks may have drained the Writable: a pipe into it may splice again.
  if (!self.destroyed) splice.retry(self);
}

function onWriteError(status) {
  const self = this[kOwner];
  const pending = takePendingWrites(this);
  const err = new ErrnoException(status, 'write');
  if (pending.length === 0) {
    self.destroy(err);
    return;
  }
  for (const cb of pending) cb(self.destroyed ? null : err);
}

// A completed shutdown. Node ignores its status: a FIN that could not be sent (a pipe
// end, which has none; a peer already gone) is not an error of end().
function onShutdown() {
  const cb = this[kShutdownCallback];
  this[kShutdownCallback] = undefined;
  if (cb) cb();
}

// A read from the handle: data (nread > 0), EOF (UV_EOF) or an error (< 0).
function onStreamRead(nread, buf) {
  const handle = this;
  const stream_ = handle[kOwner];
  stream_._unrefTimer();
  if (nread > 0 && !stream_.destroyed) {
    handle.bytesRead += nread;
    let result;
    const userBuf = stream_[kBuffer];
    if (userBuf) {
      result = deliverToUserBuffer(stream_, nread, buf);
    } else {
      result = stream_.push(buf);
    }
    if (!result) {
      handle.reading = false;
      if (!stream_.destroyed) {
        const err = handle.readStop();
        if (err) stream_.destroy(new ErrnoException(err, 'read'));
      }
    }
    return;
  }
  if (nread > 0) return;
  if (nread !== UV_EOF) {
    stream_.destroy(new ErrnoException(nread, 'read'));
    return;
  }
  // onread: an EOF that arrives while paused, or behind bytes not yet handed to the
  // callback, waits its turn in the backlog.
  if (stream_[kBuffer] && (stream_[kOnreadBacklog]?.length > 0 || !handle.reading)) {
    (stream_[kOnreadBacklog] ??= []).push(null);
    return;
  }
  endOfStream(stream_);
}

function endOfStream(stream_) {
  // Push null before anything else, so that 'end' precedes 'close'.
  if (!stream_._readableState.endEmitted) {
    stream_.push(null);
    stream_.read(0);
  }
}

// `onread: {buffer, callback}`: bytes are copied into the caller's buffer, a
// buffer-full per callback. Native reads may already be in flight when the callback
// pauses (returns false or calls pause()), so what arrives meanwhile waits in a backlog
// until reading resumes, and no callback runs while paused. Returns false to stop reads.
function deliverToUserBuffer(socket, nread, buf) {
  const backlog = socket[kOnreadBacklog] ??= [];
  backlog.push(buf);
  if (!socket._handle.reading) return false;
  return drainUserBuffer(socket);
}

function drainUserBuffer(socket) {
  const backlog = socket[kOnreadBacklog];
  while (backlog.length > 0) {
    if (socket.destroyed) {
      backlog.length = 0;
      return false;
    }
    const chunk = backlog[0];
    if (chunk === null) {
      backlog.shift();
      endOfStream(socket);
      return false;
    }
    const target = socket[kBuffer];
    const n = Math.min(target.length, chunk.length);
    if (n === 0) return false;
    chunk.copy(target, 0, 0, n);
    if (n === chunk.length) backlog.shift();
    else backlog[0] = chunk.subarray(n);
    const keepReading = socket[kBufferCb](n, target) !== false;
    const gen = socket[kBufferGen];
    if (gen !== null) {
      const next = gen();
      if (isUint8Array(next)) socket[kBuffer] = next;
    }
    if (!keepReading || !socket._handle || !socket._handle.reading) return false;
  }
  return true;
}

// The stream plumbing every handle calls by default, defined once on the handle
// class: as own properties of each handle they would be five more fields per
// connection, and past a dozen V8 turns the handle into a slow dictionary object.
const STREAM_CALLBACKS = {
  onread: onStreamRead,
  onwritten: onWritten,
  onwriteerror: onWriteError,
  onshutdown: onShutdown,
  onspliceready: splice.onSpliceReady,
};

function defineStreamCallbacks(HandleClass) {
  Object.assign(HandleClass.prototype, STREAM_CALLBACKS);
}

// Wires a (new or reused) handle to the stream plumbing: a handle a closed socket
// left with its own `onread` (a no-op) reads through the socket's again. The list of
// pending write callbacks is made by the first write the kernel does not take at once:
// most connections never have one, and an idle one should not pay for it.
function attachStreamCallbacks(handle) {
  if (handle.onread !== onStreamRead) handle.onread = onStreamRead;
}

module.exports = {
  kOnreadBacklog,
  kShutdownCallback,
  attachStreamCallbacks,
  defineStreamCallbacks,
  drainUserBuffer,
  failPendingWrites,
  cancelPendingWrites,
  writeToHandle,
};
