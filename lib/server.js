'use strict';
// net.Server: listens through a native ServerHandle and wraps each accepted handle in a
// Socket, with Node 20's options, events and errors. In a cluster worker, listen() gets
// its socket (or its connections) from the primary instead: see lib/cluster.js.

const EventEmitter = require('node:events');
const dc = require('node:diagnostics_channel');
const dns = require('node:dns');
const { promisify } = require('node:util');
const { getDefaultHighWaterMark } = require('node:stream');

const { ServerHandle, SocketHandle } = require('./binding');
const { UV_EINVAL } = require('./binding').errno;
const { Socket, closeHandle } = require('./socket');
const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_SERVER_ALREADY_LISTEN,
    ERR_SERVER_NOT_RUNNING },
  ErrnoException,
  UVExceptionWithHostPort,
} = require('./errors');
const { validateNumber, validatePort, validateAbortSignal } = require('./validators');
const { normalizeArgs, isPipeName, toNumber } = require('./args');
const { listenInCluster } = require('./cluster');
const { kOwner, kIsPipe, kSetNoDelay, kSetKeepAlive, kSetKeepAliveInitialDelay, kAsyncId } = require('./symbols');
const { initHandleContext, handleAsyncId, defineAsyncWrapMethods } = require('./async_context');
const { defineHandleWrapMethods, defineAddressMethods } = require('./handle_wrap');
const { onAbort } = require('./abort');
// rsnet beyond net: reusePort, fastOpen, keep-alive probes (lib/tcp_extensions.js).
const tcpExtensions = require('./tcp_extensions');
const { UV_TCP_REUSEPORT } = tcpExtensions;

defineAsyncWrapMethods(ServerHandle, { isServer: true });
defineHandleWrapMethods(ServerHandle);
defineAddressMethods(ServerHandle);
Object.defineProperty(ServerHandle.prototype, 'owner', {
  __proto__: null,
  get() { return this[kOwner]; },
  set(v) { this[kOwner] = v; },
});

// NODE_DEBUG=net: the same life-cycle lines as Node's net, in its format.
const { debug } = require('./debug');
const netServerSocketChannel = dc.channel('net.server.socket');
// Node 20.20 traces listen(): asyncStart on the call, asyncEnd once listening, error on
// a failed bind or listen (never `start`/`end`: listen is not one synchronous span).
const netServerListen = dc.tracingChannel('net.server.listen');

const DEFAULT_IPV4_ADDR = '0.0.0.0';
const DEFAULT_IPV6_ADDR = '::';
// 511: the kernel rounds backlog+1 up to a power of two, giving 512 slots.
const DEFAULT_BACKLOG = 511;
// chmod bits for readableAll / writableAll on a Unix socket file.
const UV_READABLE = 0o444;
const UV_WRITABLE = 0o222;

function Server(options, connectionListener) {
  if (!(this instanceof Server)) return new Server(options, connectionListener);
  EventEmitter.call(this);

  if (typeof options === 'function') {
    connectionListener = options;
    options = {};
    this.on('connection', connectionListener);
  } else if (options == null || typeof options === 'object') {
    options = { ...options };
    if (typeof connectionListener === 'function') this.on('connection', connectionListener);
  } else {
    throw new ERR_INVALID_ARG_TYPE('options', 'Object', options);
  }
  if (typeof options.keepAliveInitialDelay !== 'undefined') {
    validateNumber(options.keepAliveInitialDelay, 'options.keepAliveInitialDelay');
    if (options.keepAliveInitialDelay < 0) options.keepAliveInitialDelay = 0;
  }
  tcpExtensions.serverOptions(this, options);
  if (typeof options.highWaterMark !== 'undefined') {
    validateNumber(options.highWaterMark, 'options.highWaterMark');
    if (options.highWaterMark < 0) options.highWaterMark = getDefaultHighWaterMark();
  }

  this._connections = 0;
  this[kAsyncId] = -1;
  this._handle = null;
  this._usingWorkers = false;
  this._workers = [];
  this._unref = false;
  this._listeningId = 1;

  this.allowHalfOpen = options.allowHalfOpen || false;
  this.pauseOnConnect = Boolean(options.pauseOnConnect);
  this.noDelay = Boolean(options.noDelay);
  this.keepAlive = Boolean(options.keepAlive);
  this.keepAliveInitialDelay = ~~(options.keepAliveInitialDelay / 1000);
  this.highWaterMark = options.highWaterMark ?? getDefaultHighWaterMark();
}
Object.setPrototypeOf(Server.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Server, EventEmitter);

// Returns a bound handle, or a negative status. No address: IPv6 any, else IPv4 any.
function createServerHandle(address, port, addressType, fd, flags) {
  if (typeof fd === 'number' && fd >= 0) {
    return require('./fd').serverHandleFromFd(fd);
  }
  const handle = new ServerHandle();
  const isPipe = port === -1 && addressType === -1;
  initHandleContext(handle, { isPipe, isServer: true });
  const ipv6Only = Boolean(flags & 1);
  const reusePort = (flags & UV_TCP_REUSEPORT) !== 0;
  debug('bind to', address || 'any');
  let err;
  if (isPipe) {
    err = handle.bindPipe(address);
  } else if (!address) {
    err = handle.bind(DEFAULT_IPV6_ADDR, port, ipv6Only, reusePort);
    if (err) {
      closeServerHandle(handle);
      return createServerHandle(DEFAULT_IPV4_ADDR, port, undefined, undefined, flags & UV_TCP_REUSEPORT);
    }
  } else {
    err = handle.bind(address, port, addressType === 6 && ipv6Only, reusePort);
  }
  if (err) {
    closeServerHandle(handle);
    return err;
  }
  return handle;
}

// libuv keeps the loop alive while a handle closes, until that turn's close phase: a
// program whose last handle just closed runs one more turn (so a 'beforeExit' handler
// that listened and closed sees 'beforeExit' again). A native server handle lets go of
// the loop as it closes; an immediate holds the loop for that turn instead.
let holdingLoop = false;
function closeServerHandle(handle) {
  closeHandle(handle);
  if (holdingLoop) return;
  holdingLoop = true;
  setImmediate(() => { holdingLoop = false; });
}

function setupListenHandle(address, port, addressType, backlog, fd, flags) {
  debug('setupListenHandle', address, port, addressType, backlog, fd);
  if (this._handle) {
    debug('setupListenHandle: have a handle already');
  } else {
    debug('setupListenHandle: create a handle');
    let rval = null;
    // No address: try IPv6 any (dual-stack) first, see whether IPv6 is available.
    if (!address && typeof fd !== 'number') {
      rval = createServerHandle(DEFAULT_IPV6_ADDR, port, 6, fd, flags);
      if (typeof rval === 'number') {
        rval = null;
        address = DEFAULT_IPV4_ADDR;
        addressType = 4;
      } else {
        address = DEFAULT_IPV6_ADDR;
        addressType = 6;
      }
    }
    if (rval === null) rval = createServerHandle(address, port, addressType, fd, flags);
    if (typeof rval === 'number') {
      failListen(this, new UVExceptionWithHostPort(rval, 'listen', address, port));
      return;
    }
    this._handle = rval;
  }
  this[kAsyncId] = handleAsyncId(this._handle);
  this._handle.onconnection = onconnection;
  this._handle[kOwner] = this;

  // ToInt32, as Node's native listen() coerces whatever it is given ('x' -> 0).
  const err = tcpExtensions.beforeListen(this, this._handle) ||
    this._handle.listen((backlog || DEFAULT_BACKLOG) | 0);
  if (err) {
    const ex = new UVExceptionWithHostPort(err, 'listen', address, port);
    closeServerHandle(this._handle);
    this._handle = null;
    failListen(this, ex);
    return;
  }
  if (netServerListen.hasSubscribers) netServerListen.asyncEnd.publish({ server: this });
  // Native events reach native handles only (a cluster worker's may be a stand-in).
  if (this._handle instanceof ServerHandle) require('./binding').track(this._handle);
  this._connectionKey = `${addressType}:${address}:${port}`;
  if (this._unref) this.unref();
  process.nextTick(emitListeningNT, this);
}

Server.prototype._listen2 = setupListenHandle;

function failListen(server, error) {
  if (netServerListen.hasSubscribers) netServerListen.error.publish({ server, error });
  process.nextTick(emitErrorNT, server, error);
}

function emitErrorNT(self, err) {
  self.emit('error', err);
}

function emitListeningNT(self) {
  // The server may have been closed meanwhile.
  if (self._handle) self.emit('listening');
}

function addServerAbortSignalOption(self, options) {
  if (options?.signal === undefined) return;
  validateAbortSignal(options.signal, 'options.signal');
  const { signal } = options;
  const onAborted = () => self.close();
  if (signal.aborted) {
    process.nextTick(onAborted);
  } else {
    self.once('close', onAbort(signal, onAborted));
  }
}

Server.prototype.listen = function(...args) {
  const normalized = normalizeArgs(args);
  let options = normalized[0];
  const cb = normalized[1];

  if (this._handle) throw new ERR_SERVER_ALREADY_LISTEN();
  if (netServerListen.hasSubscribers) netServerListen.asyncStart.publish({ server: this, options });
  if (cb !== null) this.once('listening', cb);
  // (handle, backlog), (path, backlog), (port, backlog) or (port, host, backlog)
  const backlogFromArgs = toNumber(args.length > 1 && args[1]) ||
    toNumber(args.length > 2 && args[2]);

  options = options._handle || options.handle || options;
  // rsnet beyond net: reusePort (Node 22's; a worker then binds itself) and fastOpen.
  const flags = (options.ipv6Only === true ? 1 : 0) | tcpExtensions.listenOptions(this, options);
  const reusePort = (flags & UV_TCP_REUSEPORT) !== 0;
  this._listeningId++;

  // (handle[, backlog][, cb]): an rsnet server handle (another server's _handle). Never
  // shared in a cluster (Node's listen(handle) is exclusive); every other form is.
  if (options instanceof ServerHandle) {
    this._handle = options;
    this._listen2(null, -1, -1, backlogFromArgs);
    return this;
  }
  // (socket[, backlog][, cb]): Node listens on the socket's own handle, which a stream
  // refuses (listen EINVAL). Never by its fd: a second owner would close it under the
  // socket.
  if (options instanceof SocketHandle) {
    failListen(this, new UVExceptionWithHostPort(UV_EINVAL, 'listen', null, -1));
    return this;
  }
  addServerAbortSignalOption(this, options);
  // ({fd}[, backlog][, cb])
  if (typeof options.fd === 'number' && options.fd >= 0) {
    listenInCluster(this, null, null, null, backlogFromArgs, options.fd);
    return this;
  }
  // listen(), listen(null), listen(cb), or a port explicitly undefined/null: any port.
  if (args.length === 0 || typeof args[0] === 'function' ||
      (typeof options.port === 'undefined' && 'port' in options) || options.port === null) {
    options.port = 0;
  }
  if (typeof options.port === 'number' || typeof options.port === 'string') {
    validatePort(options.port, 'options.port');
    const backlog = options.backlog || backlogFromArgs;
    if (options.host) {
      lookupAndListen(this, options.port | 0, options.host, backlog, options.exclusive || reusePort, flags);
    } else {
      // No host: Node 20 listens dual-stack and does not pass ipv6Only on.
      listenInCluster(this, null, options.port | 0, 4, backlog, undefined, options.exclusive || reusePort,
        reusePort ? UV_TCP_REUSEPORT : undefined);
    }
    return this;
  }
  if (options.path && isPipeName(options.path)) {
    // fchmod cannot apply to an abstract socket, which has no file.
    if (options.path[0] === '\0' && (options.readableAll || options.writableAll)) {
      throw new ERR_INVALID_ARG_VALUE('options', options,
        'can not set readableAll or writableAllt to true when path is abstract unix socket');
    }
    const pipeName = this._pipeName = options.path;
    const backlog = options.backlog || backlogFromArgs;
    listenInCluster(this, pipeName, -1, -1, backlog, undefined, options.exclusive, undefined,
      { readableAll: options.readableAll, writableAll: options.writableAll });
    // Not listening yet: failed (an error follows), or a cluster worker's primary
    // will answer (and apply the modes itself).
    if (!this._handle) return this;
    let mode = 0;
    if (options.readableAll === true) mode |= UV_READABLE;
    if (options.writableAll === true) mode |= UV_WRITABLE;
    if (mode !== 0) {
      const err = this._handle.fchmod(mode);
      if (err) {
        closeServerHandle(this._handle);
        this._handle = null;
        throw new ErrnoException(err, 'uv_pipe_chmod');
      }
    }
    return this;
  }
  if (!('port' in options || 'path' in options)) {
    throw new ERR_INVALID_ARG_VALUE('options', options, 'must have the property "port" or "path"');
  }
  throw new ERR_INVALID_ARG_VALUE('options', options);
};

// The host's first address, in the resolver's order (Node 20 looks up one address).
function lookupAndListen(self, port, address, backlog, exclusive, flags) {
  const listeningId = self._listeningId;
  dns.lookup(address, (err, ip, addressType) => {
    if (listeningId !== self._listeningId) return;
    if (err) {
      self.emit('error', err);
      return;
    }
    listenInCluster(self, ip, port, ip ? addressType : 4, backlog, undefined, exclusive, flags);
  });
}

Object.defineProperty(Server.prototype, 'listening', {
  __proto__: null,
  get() { return Boolean(this._handle); },
  configurable: true,
  enumerable: true,
});

// A bound handle's address never changes, so it is asked of the handle once (a native
// call that builds an object, about 10,000 instructions: code that calls address() per
// request, as an http.Agent user passing `port: server.address().port` does, paid it
// each time). Asked again if code replaced the handle's getsockname meanwhile, as
// Node's address() calls whatever getsockname the handle has. Each call still returns
// an object of its own, as Node's does.
const kBoundAddress = Symbol('kBoundAddress');
// The constructor of a server's accepted sockets when it is not Socket.
const kAcceptedSocketClass = Symbol('kAcceptedSocketClass');

Server.prototype.address = function() {
  const handle = this._handle;
  if (handle && !handle[kIsPipe]) {
    let bound = handle[kBoundAddress];
    if (bound === undefined || bound.getsockname !== handle.getsockname) {
      const out = {};
      const err = handle.getsockname(out);
      if (err) throw new ErrnoException(err, 'address');
      bound = handle[kBoundAddress] = { out, getsockname: handle.getsockname };
    }
    const { out } = bound;
    return { address: out.address, family: out.family, port: out.port };
  } else if (this._pipeName) {
    return this._pipeName;
  }
  return null;
};

// A listener accepted `clientHandle` (or failed with `err`).
function onconnection(err, clientHandle) {
  const self = this[kOwner];
  debug('onconnection');
  if (err) {
    self.emit('error', new ErrnoException(err, 'accept'));
    return;
  }
  // The accepted handle's provider type (binding.js) says it is a pipe like its server.
  const isPipe = Boolean(this[kIsPipe]);
  // Node 20 treats 0 (like unset) as no limit.
  if (self.maxConnections && self._connections >= self.maxConnections) {
    emitDrop(self, clientHandle, isPipe);
    closeHandle(clientHandle);
    return;
  }
  // A TLS server's sockets are TLSSockets from birth (lib/tls/server.js).
  const SocketClass = self[kAcceptedSocketClass] ?? Socket;
  const socket = new SocketClass({
    handle: clientHandle,
    allowHalfOpen: self.allowHalfOpen,
    pauseOnCreate: self.pauseOnConnect,
    readable: true,
    writable: true,
    readableHighWaterMark: self.highWaterMark,
    writableHighWaterMark: self.highWaterMark,
  });
  if (self.noDelay) {
    socket[kSetNoDelay] = true;
    clientHandle.setNoDelay(true);
  }
  if (self.keepAlive) {
    socket[kSetKeepAlive] = true;
    socket[kSetKeepAliveInitialDelay] = self.keepAliveInitialDelay;
    clientHandle.setKeepAlive(true, self.keepAliveInitialDelay);
    tcpExtensions.accepted(self, socket, clientHandle);
  }
  self._connections++;
  socket.server = self;
  socket._server = self;
  self.emit('connection', socket);
  if (netServerSocketChannel.hasSubscribers) netServerSocketChannel.publish({ socket });
}

function emitDrop(server, clientHandle, isPipe) {
  if (isPipe) {
    server.emit('drop');
    return;
  }
  const data = { __proto__: null };
  const local = clientHandle.getsockname();
  if (local) {
    data.localAddress = local.address;
    data.localPort = local.port;
    data.localFamily = local.family;
  }
  const remote = clientHandle.getpeername();
  if (remote) {
    data.remoteAddress = remote.address;
    data.remotePort = remote.port;
    data.remoteFamily = remote.family;
  }
  server.emit('drop', data);
}

Server.prototype.getConnections = function(cb) {
  process.nextTick(cb, null, this._connections);
  return this;
};

Server.prototype.close = function(cb) {
  this._listeningId++;
  if (typeof cb === 'function') {
    if (!this._handle) {
      this.once('close', function close() {
        cb(new ERR_SERVER_NOT_RUNNING());
      });
    } else {
      this.once('close', cb);
    }
  }
  if (this._handle) {
    closeServerHandle(this._handle);
    this._handle = null;
  }
  this._emitCloseIfDrained();
  return this;
};

Server.prototype[Symbol.asyncDispose] = async function() {
  if (!this._handle) return;
  return promisify(this.close).call(this);
};

Server.prototype._emitCloseIfDrained = function() {
  debug('SERVER _emitCloseIfDrained');
  if (this._handle || this._connections) {
    debug('SERVER handle? %j   connections? %d', Boolean(this._handle), this._connections);
    return;
  }
  process.nextTick(emitCloseNT, this);
};

function emitCloseNT(self) {
  debug('SERVER: emit close');
  self.emit('close');
}

Server.prototype[EventEmitter.captureRejectionSymbol] = function(err, event, sock) {
  if (event === 'connection') sock.destroy(err);
  else this.emit('error', err);
};

Server.prototype.ref = function() {
  this._unref = false;
  if (this._handle) this._handle.ref();
  return this;
};

Server.prototype.unref = function() {
  this._unref = true;
  if (this._handle) this._handle.unref();
  return this;
};

module.exports = { Server, createServerHandle, kAcceptedSocketClass };
