'use strict';
// Socket#connect: argument handling, DNS lookup, Happy Eyeballs (autoSelectFamily) and
// the native connect, with Node 20's events (`lookup`, `connectionAttempt*`, `connect`,
// `ready`) and errors, each emitted on the same tick as Node emits it.

const dns = require('node:dns');
const { isIP } = require('node:net');
const { clearTimeout, setTimeout } = require('node:timers');

const {
  codes: { ERR_INVALID_ADDRESS_FAMILY, ERR_INVALID_ARG_TYPE, ERR_INVALID_IP_ADDRESS,
    ERR_MISSING_ARGS, ERR_SOCKET_CONNECTION_TIMEOUT },
  ExceptionWithHostPort,
  NodeAggregateError,
} = require('./errors');
const { validateBoolean, validateFunction, validateInt32, validateNumber, validatePort,
  validateString } = require('./validators');
const { normalizeArgs, normalizedArgsSymbol } = require('./args');
const { kOwner, kSetNoDelay, kSetKeepAlive, kSetKeepAliveInitialDelay,
  kReinitializeHandle, kIsPipe } = require('./symbols');
const defaults = require('./defaults');
const splice = require('./splice');
// rsnet beyond net: fastOpen, and settings made before the connect (tcp_extensions.js).
const tcpExtensions = require('./tcp_extensions');

// NODE_DEBUG=net: the same connect-path lines as Node's net, in its format.
const { debug } = require('./debug');

const { SocketHandle } = require('./binding');
const { UV_EADDRINUSE, UV_ECANCELED, UV_EINVAL, UV_ETIMEDOUT } = require('./binding').errno;

// The connect request in flight on a handle (Node's TCPConnectWrap): its outcome goes
// to `req.oncomplete(status, handle, req)`. Let go of once it completed, as Node frees
// its request: a connection that stays open should not keep it (and what it refers to).
const kConnectReq = Symbol('kConnectReq');

function onconnect(status) {
  const req = this[kConnectReq];
  if (req === undefined || req === null) return;
  this[kConnectReq] = null;
  req.oncomplete(status, this, req);
}

function install(Socket) {
  const { initSocketHandle, newHandle, closeHandle } = require('./socket_handle');
  SocketHandle.prototype.onconnect = onconnect;

  Socket.prototype.connect = function(...args) {
    // An array already normalized (net.connect passes one) is taken as is.
    const normalized = Array.isArray(args[0]) && args[0][normalizedArgsSymbol] ?
      args[0] : normalizeArgs(args);
    const options = normalized[0];
    const cb = normalized[1];

    if (cb !== null) this.once('connect', cb);
    if (this._parent && this._parent.connecting) return this;
    if (options.port === undefined && options.path == null) {
      throw new ERR_MISSING_ARGS(['options', 'port', 'path']);
    }
    if (this.write !== Socket.prototype.write) this.write = Socket.prototype.write;
    // A destroyed socket may connect again (database clients reuse their sockets).
    if (this.destroyed) {
      this._handle = null;
      this._peername = null;
      this._sockname = null;
    }
    const { path } = options;
    const pipe = Boolean(path);
    debug('pipe', pipe, path);
    if (!this._handle) {
      this._handle = newHandle(pipe);
      initSocketHandle(this);
    }
    this._unrefTimer();
    this.connecting = true;
    if (pipe) {
      validateString(path, 'options.path');
      internalConnect(this, path);
    } else {
      lookupAndConnect(this, options);
    }
    return this;
  };

  function lookupAndConnect(self, options) {
    const { localAddress, localPort } = options;
    const host = options.host || 'localhost';
    tcpExtensions.connectOptions(self, options);
    let { port, autoSelectFamilyAttemptTimeout, autoSelectFamily } = options;

    if (localAddress && !isIP(localAddress)) throw new ERR_INVALID_IP_ADDRESS(localAddress);
    if (localPort) validateNumber(localPort, 'options.localPort');
    if (typeof port !== 'undefined') {
      if (typeof port !== 'number' && typeof port !== 'string') {
        throw new ERR_INVALID_ARG_TYPE('options.port', ['number', 'string'], port);
      }
      validatePort(port);
    }
    port |= 0;

    if (autoSelectFamily != null) {
      validateBoolean(autoSelectFamily, 'options.autoSelectFamily');
    } else {
      autoSelectFamily = defaults.autoSelectFamily;
    }
    if (autoSelectFamilyAttemptTimeout != null) {
      validateInt32(autoSelectFamilyAttemptTimeout, 'options.autoSelectFamilyAttemptTimeout', 1);
      if (autoSelectFamilyAttemptTimeout < 10) autoSelectFamilyAttemptTimeout = 10;
    } else {
      autoSelectFamilyAttemptTimeout = defaults.autoSelectFamilyAttemptTimeout;
    }

    // An IP literal needs no lookup; connect on the next tick, as Node does.
    const addressType = isIP(host);
    if (addressType) {
      process.nextTick(() => {
        if (self.connecting) internalConnect(self, host, port, addressType, localAddress, localPort);
      });
      return;
    }

    if (options.lookup != null) validateFunction(options.lookup, 'options.lookup');
    const dnsopts = { family: socketToDnsFamily(options.family), hints: options.hints || 0 };
    if (dnsopts.family !== 4 && dnsopts.family !== 6 && dnsopts.hints === 0) {
      dnsopts.hints = dns.ADDRCONFIG;
    }
    debug('connect: find host', host);
    debug('connect: dns options', dnsopts);
    self._host = host;
    const lookup = options.lookup || dns.lookup;

    if (dnsopts.family !== 4 && dnsopts.family !== 6 && !localAddress && autoSelectFamily) {
      debug('connect: autodetecting');
      dnsopts.all = true;
      lookupAndConnectMultiple(self, lookup, host, options, dnsopts, port, localAddress,
        localPort, autoSelectFamilyAttemptTimeout);
      return;
    }

    lookup(host, dnsopts, function emitLookup(err, ip, family) {
      self.emit('lookup', err, ip, family, host);
      // Destroyed while looking up.
      if (!self.connecting) return;
      if (err) {
        process.nextTick(connectErrorNT, self, err);
      } else if (!isIP(ip)) {
        process.nextTick(connectErrorNT, self, new ERR_INVALID_IP_ADDRESS(ip));
      } else if (family !== 4 && family !== 6) {
        process.nextTick(connectErrorNT, self,
          new ERR_INVALID_ADDRESS_FAMILY(family, options.host, options.port));
      } else {
        self._unrefTimer();
        internalConnect(self, ip, port, family, localAddress, localPort);
      }
    });
  }

  function lookupAndConnectMultiple(self, lookup, host, options, dnsopts, port, localAddress,
    localPort, timeout) {
    lookup(host, dnsopts, function emitLookup(err, addresses) {
      if (!self.connecting) return;
      if (err) {
        self.emit('lookup', err, undefined, undefined, host);
        process.nextTick(connectErrorNT, self, err);
        return;
      }
      // Keep IPv4/IPv6 addresses; the first one's family goes first when alternating.
      const valid = [[], []];
      const seen = [new Set(), new Set()];
      let order;
      for (const { address: ip, family } of addresses) {
        self.emit('lookup', err, ip, family, host);
        if (!self.connecting) return;
        if (isIP(ip) && (family === 4 || family === 6)) {
          order ??= family === 6 ? { 6: 0, 4: 1 } : { 4: 0, 6: 1 };
          const slot = order[family];
          if (!seen[slot].has(ip)) {
            seen[slot].add(ip);
            valid[slot].push({ address: ip, family });
          }
        }
      }
      if (valid[0].length === 0 && valid[1].length === 0) {
        const { address: firstIp, family: firstFamily } = addresses[0];
        if (!isIP(firstIp)) {
          process.nextTick(connectErrorNT, self, new ERR_INVALID_IP_ADDRESS(firstIp));
        } else if (firstFamily !== 4 && firstFamily !== 6) {
          process.nextTick(connectErrorNT, self,
            new ERR_INVALID_ADDRESS_FAMILY(firstFamily, options.host, options.port));
        }
        return;
      }
      const toAttempt = [];
      for (let i = 0; i < Math.max(valid[0].length, valid[1].length); i++) {
        if (i in valid[0]) toAttempt.push(valid[0][i]);
        if (i in valid[1]) toAttempt.push(valid[1][i]);
      }
      self._unrefTimer();
      if (toAttempt.length === 1) {
        debug('connect/multiple: only one address found, switching back to single connection');
        const { address, family } = toAttempt[0];
        internalConnect(self, address, port, family, localAddress, localPort);
        return;
      }
      debug('connect/multiple: will try the following addresses', toAttempt);
      self.autoSelectFamilyAttemptedAddresses = [];
      internalConnectMultiple({
        socket: self, addresses: toAttempt, current: 0, port, localPort, timeout,
        timer: null, errors: [],
      });
    });
  }

  function internalConnect(self, address, port, addressType, localAddress, localPort) {
    const handle = self._handle;
    if (localAddress || localPort) {
      localAddress = localAddress || (addressType === 4 ? '0.0.0.0' : '::');
      debug('connect: binding to localAddress: %s and localPort: %d (addressType: %d)',
        localAddress, localPort, addressType);
      const err = bindChecked(handle, localAddress, localPort, addressType);
      if (err) {
        self.destroy(new ExceptionWithHostPort(err, 'bind', localAddress, localPort));
        return;
      }
    }
    debug('connect: attempting to connect to %s:%d (addressType: %d)', address, port, addressType);
    self.emit('connectionAttempt', address, port, addressType);
    const req = { address, port, localAddress, localPort, addressType, oncomplete: afterConnect };
    const err = addressType === 4 || addressType === 6 ?
      tcpExtensions.beforeConnect(self, handle, addressType) || connectHandle(handle, address, port) :
      handle.connectPipe(address);
    if (err) {
      self.destroy(new ExceptionWithHostPort(err, 'connect', address, port, sockDetails(self)));
      return;
    }
    handle[kConnectReq] = req;
  }

  function internalConnectMultiple(context, canceled) {
    clearTimeout(context.timer);
    const self = context.socket;
    if (self._aborted) return;
    if (canceled || context.current === context.addresses.length) {
      self.destroy(context.errors.length === 0 ?
        new ERR_SOCKET_CONNECTION_TIMEOUT() : new NodeAggregateError(context.errors));
      return;
    }
    const current = context.current++;
    if (current > 0) self[kReinitializeHandle](newHandle(false));

    const { localPort, port } = context;
    const { address, family: addressType } = context.addresses[current];
    let localAddress;
    if (localPort) {
      localAddress = addressType === 4 ? '0.0.0.0' : '::';
      debug('connect/multiple: binding to localAddress: %s and localPort: %d (addressType: %d)',
        localAddress, localPort, addressType);
      const err = bindChecked(self._handle, localAddress, localPort, addressType);
      if (err) {
        context.errors.push(new ExceptionWithHostPort(err, 'bind', localAddress, localPort));
        internalConnectMultiple(context);
        return;
      }
    }
    debug('connect/multiple: attempting to connect to %s:%d (addressType: %d)', address, port, addressType);
    self.emit('connectionAttempt', address, port, addressType);
    const req = { address, port, localAddress, localPort, addressType };
    req.oncomplete = (status, handle) => afterConnectMultiple(context, current, status, handle, req);
    self.autoSelectFamilyAttemptedAddresses.push(`${address}:${port}`);

    const handle = self._handle;
    const err = tcpExtensions.beforeConnect(self, handle, addressType) ||
      connectHandle(handle, address, port);
    if (err) {
      const ex = new ExceptionWithHostPort(err, 'connect', address, port, sockDetails(self));
      context.errors.push(ex);
      self.emit('connectionAttemptFailed', address, port, addressType, ex);
      internalConnectMultiple(context);
      return;
    }
    handle[kConnectReq] = req;
    if (current < context.addresses.length - 1) {
      debug('connect/multiple: setting the attempt timeout to %d ms', context.timeout);
      context.timer = setTimeout(internalConnectMultipleTimeout, context.timeout, context, req, handle);
    }
  }

  function afterConnectMultiple(context, current, status, handle, req) {
    debug('connect/multiple: connection attempt to %s:%s completed with status %s',
      req.address, req.port, status);
    clearTimeout(context.timer);
    // A success that arrives after its attempt timed out is closed and ignored.
    if (status === 0 && current !== context.current - 1) {
      debug('connect/multiple: ignoring successful but timedout connection to %s:%s', req.address, req.port);
      closeHandle(handle);
      return;
    }
    const self = context.socket;
    if (status !== 0) {
      const ex = createConnectionError(req, status);
      context.errors.push(ex);
      self.emit('connectionAttemptFailed', req.address, req.port, req.addressType, ex);
      if (self.connecting) internalConnectMultiple(context, status === UV_ECANCELED);
      return;
    }
    afterConnect(status, self._handle, req);
  }

  function internalConnectMultipleTimeout(context, req, handle) {
    debug('connect/multiple: connection to %s:%s timed out', req.address, req.port);
    context.socket.emit('connectionAttemptTimeout', req.address, req.port, req.addressType);
    req.oncomplete = () => {};
    context.errors.push(createConnectionError(req, UV_ETIMEDOUT));
    closeHandle(handle);
    if (context.socket.connecting) internalConnectMultiple(context);
  }
}

// A TCP connect on the socket's handle. The handle of a socket that was connected to a
// pipe stays a pipe handle (Node reuses it too), and a pipe handle's connect takes its
// first argument for a path: connect(port, '127.0.0.1') then fails as a path would
// (ENOENT), as in Node.
function connectHandle(handle, address, port) {
  return handle[kIsPipe] ? handle.connectPipe(address) : handle.connect(address, port);
}

// Binds in the family of the address connected to (Node calls bind or bind6, which
// reject an address of the other family with EINVAL), then confirms the port: a
// failed bind would let connect pick a random one. The port bound is what Node's bind
// makes of it, a 32-bit integer cut to 16 bits (localPort -1 binds port 65535), and,
// as in Node, the one asked for must be the one bound: Infinity or 65536 (bound as 0,
// a random port) fail with EADDRINUSE.
function bindChecked(handle, address, port, family) {
  if (isIP(address) !== family) return UV_EINVAL;
  let err = handle.bind(address, (port | 0) & 0xffff);
  if (err === 0 && port > 0) {
    const out = handle.getsockname();
    if (out && out.port !== port) err = UV_EADDRINUSE;
  }
  return err;
}

// The ' - Local (address:port)' of a connect error that connect() itself returned.
function sockDetails(self) {
  const sockname = self._getsockname();
  return `${sockname.address}:${sockname.port}`;
}

function createConnectionError(req, status) {
  let details;
  if (req.localAddress && req.localPort) details = `${req.localAddress}:${req.localPort}`;
  const ex = new ExceptionWithHostPort(status, 'connect', req.address, req.port, details);
  if (details) {
    ex.localAddress = req.localAddress;
    ex.localPort = req.localPort;
  }
  return ex;
}

function afterConnect(status, handle, req) {
  const self = handle[kOwner];
  // The socket may have been destroyed while connecting.
  if (!self || self.destroyed) return;
  debug('afterConnect');
  self.connecting = false;
  self._sockname = null;
  if (status === 0) {
    self._unrefTimer();
    if (self[kSetNoDelay]) handle.setNoDelay(true);
    if (self[kSetKeepAlive]) handle.setKeepAlive(true, self[kSetKeepAliveInitialDelay]);
    tcpExtensions.afterConnect(self, handle);
    self.emit('connect');
    self.emit('ready');
    // Start reading (or get an immediate EOF) unless the user paused.
    if (!self.isPaused()) self.read(0);
    // A pipe set up while connecting may now splice natively.
    if (!self.destroyed) splice.retry(self);
  } else {
    const ex = createConnectionError(req, status);
    self.emit('connectionAttemptFailed', req.address, req.port, req.addressType, ex);
    self.destroy(ex);
  }
}

function connectErrorNT(self, err) {
  self.destroy(err);
}

function socketToDnsFamily(family) {
  switch (family) {
    case 'IPv4': return 4;
    case 'IPv6': return 6;
  }
  return family;
}

module.exports = { install };
