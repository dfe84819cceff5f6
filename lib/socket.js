'use strict';
// net.Socket: a stream.Duplex over a native SocketHandle, with Node 20's semantics.
//
// The shape follows Node's lib/net.js on purpose (names, fields, event order), because
// libraries reach into it. Everything native goes through `socket._handle`; the handle
// answers through `onread`, `onwritten`, `onshutdown` and `onconnect`.

const stream = require('node:stream');
const { clearTimeout } = require('node:timers');
const { isUint8Array } = require('node:util').types;
// NODE_DEBUG=net: the same life-cycle lines as Node's net, in its format.
const { debug } = require('./debug');

const {
  SocketHandle, untrack, scheduleClose, completeAfterIo, errno: { UV_ENOTCONN }, writeStatus: { DONE, QUEUED },
} = require('./binding');
const { UV_EINVAL } = require('./binding').errno;
const {
  kOnreadBacklog, kShutdownCallback, defineStreamCallbacks, drainUserBuffer, cancelPendingWrites,
  writeToHandle,
} = require('./stream_io');
const {
  codes: { ERR_INVALID_ARG_VALUE, ERR_INVALID_HANDLE_TYPE, ERR_SOCKET_CLOSED,
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION },
  ErrnoException,
  genericNodeError,
} = require('./errors');
const { validateNumber } = require('./validators');
const splice = require('./splice');
const tcpExtensions = require('./tcp_extensions');
const { addClientAbortSignalOption } = require('./abort');
const { initSocketHandle, newHandle, closeHandle } = require('./socket_handle');
const symbols = require('./symbols');
const {
  kOwner, kHandle, kBytesRead, kBytesWritten, kSetNoDelay, kSetKeepAlive,
  kSetKeepAliveInitialDelay, kBuffer, kBufferCb, kBufferGen, kIsPipe, kLastWriteQueueSize,
  kReinitializeHandle, kAsyncId,
} = symbols;
const {
  runInHandleContext, defineAsyncWrapMethods,
} = require('./async_context');
const { defineHandleWrapMethods, defineAddressMethods } = require('./handle_wrap');
const idle = require('./idle_timeout');
const { kTimeout } = idle;
const { defineAddressGetters } = require('./socket_addresses');

// What Node's own modules (http, the http Agent) call on a socket's handle.
defineAsyncWrapMethods(SocketHandle);
defineHandleWrapMethods(SocketHandle);
defineStreamCallbacks(SocketHandle);
defineAddressMethods(SocketHandle);
// Node's legacy alias of the handle's owner (lib/net.js defines it on TCP handles).
Object.defineProperty(SocketHandle.prototype, 'owner', {
  __proto__: null,
  get() { return this[kOwner]; },
  set(v) { this[kOwner] = v; },
});

const noop = () => {};
const kShuttingDown = Symbol('kShuttingDown');
const kCloseWhenShutDown = Symbol('kCloseWhenShutDown');
// Node caps timers at 2^31-1 ms.

function Socket(options) {
  if (!(this instanceof Socket)) return new Socket(options);
  if (options?.objectMode) {
    throw new ERR_INVALID_ARG_VALUE('options.objectMode', options.objectMode, 'is not supported');
  } else if (options?.readableObjectMode || options?.writableObjectMode) {
    const name = options.readableObjectMode ? 'readableObjectMode' : 'writableObjectMode';
    throw new ERR_INVALID_ARG_VALUE(`options.${name}`,
      options.readableObjectMode || options.writableObjectMode, 'is not supported');
  }
  if (typeof options?.keepAliveInitialDelay !== 'undefined') {
    validateNumber(options.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
    if (options.keepAliveInitialDelay < 0) options.keepAliveInitialDelay = 0;
  }

  this.connecting = false;
  this[kAsyncId] = -1;
  this._hadError = false;
  this[kHandle] = null;
  this._parent = null;
  this._host = null;
  this[kLastWriteQueueSize] = 0;
  this[kTimeout] = null;
  this[kBuffer] = null;
  this[kBufferCb] = null;
  this[kBufferGen] = null;
  this._closeAfterHandlingError = false;

  if (typeof options === 'number') options = { fd: options };
  else options = { ...options };
  options.allowHalfOpen = Boolean(options.allowHalfOpen);
  // Node's sockets emit 'close' themselves, after the handle closed.
  options.emitClose = false;
  options.autoDestroy = true;
  options.decodeStrings = false;
  stream.Duplex.call(this, options);

  if (options.handle) {
    this._handle = options.handle;
  } else if (options.fd !== undefined) {
    require('./fd').adoptFd(this, options);
  }

  const onread = options.onread;
  if (onread !== null && typeof onread === 'object' &&
      (isUint8Array(onread.buffer) || typeof onread.buffer === 'function') &&
      typeof onread.callback === 'function') {
    if (typeof onread.buffer === 'function') {
      this[kBuffer] = true;
      this[kBufferGen] = onread.buffer;
    } else {
      this[kBuffer] = onread.buffer;
    }
    this[kBufferCb] = onread.callback;
  }

  this[kSetNoDelay] = Boolean(options.noDelay);
  this[kSetKeepAlive] = Boolean(options.keepAlive);
  this[kSetKeepAliveInitialDelay] = ~~(options.keepAliveInitialDelay / 1000);
  // rsnet beyond net: keepAliveInterval, keepAliveCount (lib/tcp_extensions.js).
  tcpExtensions.socketOptions(this, options);

  this.on('end', onReadableStreamEnd);
  initSocketHandle(this);

  this._pendingData = null;
  this._pendingEncoding = '';

  // A socket made from an existing handle starts reading at once, unless told not to.
  if (this._handle && options.readable !== false) {
    if (options.pauseOnCreate) {
      this._handle.reading = false;
      this._handle.readStop();
      this.readableFlowing = false;
    } else if (!options.manualStart) {
      this.read(0);
    }
  }

  if (options.signal) addClientAbortSignalOption(this, options);

  this.server = null;
  this._server = null;
  this[kBytesRead] = 0;
  this[kBytesWritten] = 0;
}
Object.setPrototypeOf(Socket.prototype, stream.Duplex.prototype);
Object.setPrototypeOf(Socket, stream.Duplex);

// Closes the socket's handle now; 'close' follows after this turn's ticks and
// microtasks (so after destroy()'s 'error'), where libuv runs close callbacks. The
// callbacks of writes still queued come there too, just before 'close': libuv cancels
// them when it finishes closing the stream. 'close' is said from the callback of
// `handle.close(callback)`, as in Node's net, so code that wraps a socket's
// `_handle.close` (as Node's own tests do) still sees, and calls, that callback.
function closeSocketHandle(self, handle, isException, isCleanupPending = false) {
  untrack(handle);
  handle.close(() => {
    cancelPendingWrites(handle);
    debug('emit close');
    self.emit('close', isException);
    if (isCleanupPending) {
      handle.onread = noop;
      self._handle = null;
      self._sockname = null;
    }
  });
}

Object.defineProperty(Socket.prototype, '_handle', {
  __proto__: null,
  get() { return this[kHandle]; },
  set(v) { this[kHandle] = v; },
});

Socket.prototype._unrefTimer = idle.unrefTimer;
Socket.prototype.setTimeout = idle.setStreamTimeout;
Socket.prototype._onTimeout = idle.onTimeout;
defineAddressGetters(Socket);

// The writable side ended: send FIN once queued writes are out.
Socket.prototype._final = function(cb) {
  // Not connected yet (or never asked to): the FIN waits for a connect.
  if (this.pending) {
    debug('_final: not yet connected');
    return this.once('connect', () => this._final(cb));
  }
  if (!this._handle) return cb();
  debug('_final: not ended, call shutdown()');
  const handle = this._handle;
  const done = cb;
  cb = (err) => {
    handle[kShuttingDown] = false;
    if (!err) debug('afterShutdown destroyed=%j', this.destroyed);
    // A reset refused meanwhile (see _destroy) left the handle open until now.
    if (handle[kCloseWhenShutDown]) closeHandle(handle);
    done(err);
  };
  handle[kShuttingDown] = true;
  const status = handle.shutdown();
  if (status === QUEUED) {
    handle[kShutdownCallback] = cb;
  } else if (status === DONE) {
    // The FIN left now; libuv completes such a shutdown from its pending queue, right
    // after the I/O callbacks of this turn: before setImmediate callbacks, and before
    // a peer's FIN read on a later turn.
    completeAfterIo(() => runInHandleContext(handle, cb));
  } else if (status === UV_ENOTCONN) { // the peer is gone
    cb();
  } else {
    cb(new ErrnoException(status, 'shutdown'));
  }
};

// Node's friendlier error for writing after the peer's FIN on a non-half-open socket.
function writeAfterFIN(chunk, encoding, cb) {
  if (!this.writableEnded) {
    return stream.Duplex.prototype.write.call(this, chunk, encoding, cb);
  }
  if (typeof encoding === 'function') {
    cb = encoding;
    encoding = null;
  }
  const er = genericNodeError('This socket has been ended by the other party', { code: 'EPIPE' });
  if (typeof cb === 'function') process.nextTick(cb, er);
  this.destroy(er);
  return false;
}

function onReadableStreamEnd() {
  if (!this.allowHalfOpen) this.write = writeAfterFIN;
}

Socket.prototype.setNoDelay = function(enable) {
  enable = Boolean(enable === undefined ? true : enable);
  if (!this._handle) {
    this[kSetNoDelay] = enable;
    return this;
  }
  if (this._handle.setNoDelay && enable !== this[kSetNoDelay]) {
    this[kSetNoDelay] = enable;
    this._handle.setNoDelay(enable);
  }
  return this;
};

Socket.prototype.setKeepAlive = function(enable, initialDelayMsecs) {
  enable = Boolean(enable);
  const initialDelay = ~~(initialDelayMsecs / 1000);
  if (!this._handle) {
    this[kSetKeepAlive] = enable;
    this[kSetKeepAliveInitialDelay] = initialDelay;
    return this;
  }
  if (!this._handle.setKeepAlive) return this;
  if (enable !== this[kSetKeepAlive] ||
      (enable && this[kSetKeepAliveInitialDelay] !== initialDelay)) {
    this[kSetKeepAlive] = enable;
    this[kSetKeepAliveInitialDelay] = initialDelay;
    this._handle.setKeepAlive(enable, initialDelay);
  }
  return this;
};

Socket.prototype.address = function() {
  return this._getsockname();
};

Object.defineProperty(Socket.prototype, '_connecting', {
  __proto__: null,
  get() { return this.connecting; },
});

Object.defineProperty(Socket.prototype, 'pending', {
  __proto__: null,
  get() { return !this._handle || this.connecting; },
  configurable: true,
});

Object.defineProperty(Socket.prototype, 'readyState', {
  __proto__: null,
  get() {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  },
});

Object.defineProperty(Socket.prototype, 'bufferSize', {
  __proto__: null,
  get() {
    // Node: undefined once the handle is gone.
    return this._handle ? this.writableLength : undefined;
  },
});

function tryReadStart(socket) {
  debug('Socket._handle.readStart');
  socket._handle.reading = true;
  // onread: bytes that arrived while paused go to the callback before any new read.
  if (socket[kOnreadBacklog]?.length > 0 && !drainUserBuffer(socket)) {
    socket._handle.reading = false;
    return;
  }
  const err = socket._handle.readStart();
  if (err) socket.destroy(new ErrnoException(err, 'read'));
}

// Readable asks for data: start native reads (they stop when push() says "full").
Socket.prototype._read = function(n) {
  debug('_read - n', n, 'isConnecting?', Boolean(this.connecting), 'hasHandle?', Boolean(this._handle));
  if (this.connecting || !this._handle) {
    debug('_read wait for connection');
    this.once('connect', () => this._read(n));
  } else if (!this._handle.reading) {
    tryReadStart(this);
  }
};

Socket.prototype.end = function(data, encoding, callback) {
  stream.Duplex.prototype.end.call(this, data, encoding, callback);
  return this;
};

Socket.prototype.resetAndDestroy = function() {
  if (this._handle) {
    if (this._handle[kIsPipe]) throw new ERR_INVALID_HANDLE_TYPE();
    if (this.connecting) {
      debug('reset wait for connection');
      this.once('connect', () => this._reset());
    } else {
      this._reset();
    }
  } else {
    this.destroy(new ERR_SOCKET_CLOSED());
  }
  return this;
};

// pipe() into another rsnet socket may splice natively (lib/splice.js). Whatever could
// let JS see the bytes a splice skips stops it first; whatever may end the reason it
// could not splice tries again.
Socket.prototype.pipe = function(dest, options) {
  const result = stream.Duplex.prototype.pipe.call(this, dest, options);
  if (isRsnetSocket(dest)) splice.offer(this, dest);
  return result;
};

Socket.prototype.unpipe = function(dest) {
  splice.withdraw(this, dest);
  return stream.Duplex.prototype.unpipe.call(this, dest);
};

Socket.prototype.on = function(event, listener) {
  if (event === 'data' || event === 'readable') splice.stop(this);
  return stream.Duplex.prototype.on.call(this, event, listener);
};
Socket.prototype.addListener = Socket.prototype.on;

Socket.prototype.prependListener = function(event, listener) {
  if (event === 'data' || event === 'readable') splice.stop(this);
  return stream.Duplex.prototype.prependListener.call(this, event, listener);
};

Socket.prototype.setEncoding = function(encoding) {
  splice.stop(this);
  return stream.Duplex.prototype.setEncoding.call(this, encoding);
};

Socket.prototype.cork = function() {
  splice.stopFeeder(this);
  return stream.Duplex.prototype.cork.call(this);
};

Socket.prototype.uncork = function() {
  stream.Duplex.prototype.uncork.call(this);
  splice.retry(this);
};

// With a caller-supplied read buffer (`onread`), pause/resume drive native reads directly.
Socket.prototype.pause = function() {
  splice.stop(this);
  if (this[kBuffer] && !this.connecting && this._handle && this._handle.reading) {
    this._handle.reading = false;
    if (!this.destroyed) {
      const err = this._handle.readStop();
      if (err) this.destroy(new ErrnoException(err, 'read'));
    }
  }
  return stream.Duplex.prototype.pause.call(this);
};

Socket.prototype.resume = function() {
  if (this[kBuffer] && !this.connecting && this._handle && !this._handle.reading) {
    tryReadStart(this);
  }
  const result = stream.Duplex.prototype.resume.call(this);
  splice.retry(this);
  return result;
};

Socket.prototype.read = function(n) {
  if (this[kBuffer] && !this.connecting && this._handle && !this._handle.reading) {
    tryReadStart(this);
  }
  return stream.Duplex.prototype.read.call(this, n);
};

Socket.prototype.destroySoon = function() {
  if (this.writable) this.end();
  if (this.writableFinished) this.destroy();
  else this.once('finish', this.destroy);
};

Socket.prototype._destroy = function(exception, cb) {
  debug('destroy');
  this.connecting = false;
  for (let s = this; s !== null; s = s._parent) clearTimeout(s[kTimeout]);

  debug('close');
  if (this._handle) {
    if (this !== process.stderr) debug('close handle');
    const isException = Boolean(exception);
    // bytesRead/bytesWritten stay readable after destroy().
    this[kBytesRead] = this.bytesRead;
    this[kBytesWritten] = this._bytesDispatched;
    const handle = this._handle;
    if (this.resetAndClosing && handle[kShuttingDown]) {
      // libuv refuses to reset a stream whose shutdown is in flight (EINVAL), and Node
      // then never closes the handle: 'error', and no 'close'. The FIN still goes out;
      // the handle is closed, quietly, once its shutdown completes.
      this.resetAndClosing = false;
      handle[kCloseWhenShutDown] = true;
      this.emit('error', new ErrnoException(UV_EINVAL, 'reset'));
    } else if (this.resetAndClosing) {
      this.resetAndClosing = false;
      untrack(handle);
      const err = handle.reset();
      scheduleClose(() => {
        cancelPendingWrites(handle);
        debug('emit close');
        this.emit('close', isException);
      });
      if (err) this.emit('error', new ErrnoException(err, 'reset'));
    } else if (this._closeAfterHandlingError) {
      // Keep the handle usable while 'error' handlers (next tick) run.
      queueMicrotask(() => closeSocketHandle(this, handle, isException, true));
    } else {
      closeSocketHandle(this, handle, isException);
    }
    if (!this._closeAfterHandlingError) {
      handle.onread = noop;
      this._handle = null;
      this._sockname = null;
    }
    cb(exception);
  } else {
    cb(exception);
    process.nextTick(emitCloseNT, this);
  }

  if (this._server) {
    debug('has server');
    this._server._connections--;
    if (this._server._emitCloseIfDrained) this._server._emitCloseIfDrained();
  }
};

function emitCloseNT(self) {
  self.emit('close');
}

Socket.prototype._reset = function() {
  debug('reset connection');
  this.resetAndClosing = true;
  return this.destroy();
};

Socket.prototype._writeGeneric = function(writev, data, encoding, cb) {
  // Still connecting: hold this write (the Writable holds later ones) until 'connect'.
  if (this.connecting) {
    this._pendingData = data;
    this._pendingEncoding = encoding;
    function onClose() {
      cb(new ERR_SOCKET_CLOSED_BEFORE_CONNECTION());
    }
    this.once('connect', function connect() {
      this.off('close', onClose);
      this._writeGeneric(writev, data, encoding, cb);
    });
    this.once('close', onClose);
    return;
  }
  this._pendingData = null;
  this._pendingEncoding = '';

  if (!this._handle) {
    cb(new ERR_SOCKET_CLOSED());
    return false;
  }
  this._unrefTimer();

  writeToHandle(this, writev, data, encoding, cb);
};

Socket.prototype._writev = function(chunks, cb) {
  this._writeGeneric(true, chunks, '', cb);
};

Socket.prototype._write = function(data, encoding, cb) {
  this._writeGeneric(false, data, encoding, cb);
};

Socket.prototype.ref = function() {
  if (!this._handle) {
    this.once('connect', this.ref);
    return this;
  }
  if (typeof this._handle.ref === 'function') this._handle.ref();
  return this;
};

Socket.prototype.unref = function() {
  if (!this._handle) {
    this.once('connect', this.unref);
    return this;
  }
  if (typeof this._handle.unref === 'function') this._handle.unref();
  return this;
};

Socket.prototype[kReinitializeHandle] = function(handle) {
  if (this._handle) closeHandle(this._handle);
  this._handle = handle;
  initSocketHandle(this);
};


// An rsnet Socket by its prototype chain, whatever `instanceof Socket` answers
// (rsnet/register makes Node's own sockets count as instances, as they do of the
// net.Socket the application sees).
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];
function isRsnetSocket(value) {
  return Reflect.apply(ordinaryHasInstance, Socket, [value]);
}

module.exports = {
  Socket,
  isRsnetSocket,
  initSocketHandle,
  newHandle,
  closeHandle,
};

require('./connect').install(Socket);
// rsnet beyond net: setKeepAlive probes, setUserTimeout, setTypeOfService, getTCPInfo.
tcpExtensions.install(Socket);
