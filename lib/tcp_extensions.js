'use strict';
// rsnet beyond Node 20's net (issue #20): port sharing, TCP tuning and introspection.
//
// Everything here is opt-in: a program that never names these options or methods runs
// exactly as on `net` (the hooks in socket.js, connect.js and server.js find nothing
// to do). Linux only; elsewhere each entry point throws
// ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, at the call that asked for it.
//
// Settings made before the socket has a connected handle are remembered and applied
// on connect, as Node does for setNoDelay/setKeepAlive. On a Unix-socket (pipe)
// handle they do nothing, as setNoDelay/setKeepAlive do there.

const { SocketHandle } = require('./binding');
const { E } = require('./errors');
const { validateBoolean, validateInt32, validateNumber, validateObject } = require('./validators');
const { kIsPipe, kSetKeepAlive } = require('./symbols');

const ERR_FEATURE_UNAVAILABLE_ON_PLATFORM = E('ERR_FEATURE_UNAVAILABLE_ON_PLATFORM',
  'The feature %s is unavailable on the current platform, which is being used to run Node.js',
  TypeError);

// Read once: the platform does not change while the process runs.
const supported = process.platform === 'linux';

function requireLinux(feature) {
  if (!supported) throw new ERR_FEATURE_UNAVAILABLE_ON_PLATFORM(feature);
}

// Remembered on a Socket (only once a program uses them, so plain sockets keep their
// shape): keep-alive probes as [interval in seconds, count], TCP_USER_TIMEOUT in ms,
// IP_TOS/IPV6_TCLASS, and whether the next connect uses TCP Fast Open.
const kKeepAliveProbes = Symbol('kKeepAliveProbes');
const kUserTimeout = Symbol('kUserTimeout');
const kTypeOfService = Symbol('kTypeOfService');
const kFastOpen = Symbol('kFastOpen');
// On a Server: keep-alive probes for accepted sockets, and the listener's
// TCP_FASTOPEN queue length.
const kServerProbes = Symbol('kServerProbes');
const kListenFastOpen = Symbol('kListenFastOpen');

// libuv's UV_TCP_REUSEPORT bind flag, as Node 22 passes it beside UV_TCP_IPV6ONLY (1).
const UV_TCP_REUSEPORT = 2;
// The kernel's bounds: TCP_KEEPINTVL is 1..32767 s, TCP_KEEPCNT 1..127.
const MAX_KEEPALIVE_INTERVAL_MS = 32767 * 1000;
const MAX_KEEPALIVE_COUNT = 127;
const MAX_USER_TIMEOUT_MS = 2 ** 31 - 1;

// ---------------------------------------------------------------------------
// Keep-alive probes.

// Seconds, as Node turns setKeepAlive's initialDelay into seconds (truncated).
function probeSeconds(msecs) {
  return msecs === undefined ? 0 : ~~(msecs / 1000);
}

// Validates `{ interval, count }` (named as `prefix.interval`...); undefined if the
// caller gave neither.
function readProbes(interval, count, intervalName, countName) {
  if (interval === undefined && count === undefined) return undefined;
  requireLinux('TCP keep-alive probe settings');
  if (interval !== undefined) validateNumber(interval, intervalName, 0, MAX_KEEPALIVE_INTERVAL_MS);
  if (count !== undefined) validateInt32(count, countName, 1, MAX_KEEPALIVE_COUNT);
  return [probeSeconds(interval), count ?? 0];
}

function applyProbes(handle, probes) {
  if (probes !== undefined && typeof handle.setKeepAliveProbes === 'function') {
    handle.setKeepAliveProbes(probes[0], probes[1]);
  }
}

// ---------------------------------------------------------------------------
// Hooks called from socket.js, connect.js and server.js.

// new Socket(options) / net.connect(options): keepAliveInterval, keepAliveCount.
function socketOptions(socket, options) {
  const probes = readProbes(options.keepAliveInterval, options.keepAliveCount,
    'options.keepAliveInterval', 'options.keepAliveCount');
  if (probes !== undefined) socket[kKeepAliveProbes] = probes;
}

// socket.connect(options): fastOpen (TCP only; a path connect ignores it).
function connectOptions(socket, options) {
  const { fastOpen } = options;
  if (fastOpen === undefined) {
    // A socket connecting again without the option connects without it.
    if (socket[kFastOpen] === true) socket[kFastOpen] = false;
    return;
  }
  validateBoolean(fastOpen, 'options.fastOpen');
  if (fastOpen) {
    requireLinux('TCP Fast Open');
    socket._final = fastOpenFinal;
  }
  socket[kFastOpen] = fastOpen;
}

// With Fast Open, 'connect' comes before the handshake (the SYN leaves with the first
// write), but a FIN cannot: shutdown(2) in SYN_SENT drops the connection. So end()
// waits for the handshake to finish, sending the SYN first if nothing was written.
// Polled (1 ms, doubling to 64 ms), as the kernel has no event for it that reaches
// here; only a Fast Open socket that ends within its first round trip ever waits.
let nodeFinal;
function fastOpenFinal(cb, wait = 1) {
  const handle = this._handle;
  if (this.destroyed) return;
  if (!handle || this.pending || handle.fastOpenPending() !== 1) {
    nodeFinal.call(this, cb);
    return;
  }
  setTimeout(() => fastOpenFinal.call(this, cb, Math.min(wait * 2, 64)), wait);
}

// Just before connect(2) on a TCP handle: TCP_FASTOPEN_CONNECT must be set first.
// Returns a status; < 0 fails the connect as connect(2) failing at once would.
function beforeConnect(socket, handle, addressType) {
  if (socket[kFastOpen] !== true || handle[kIsPipe]) return 0;
  return handle.prepareFastOpen(addressType);
}

// A connect succeeded: what was set before there was a connected socket takes effect.
function afterConnect(socket, handle) {
  if (socket[kSetKeepAlive]) applyProbes(handle, socket[kKeepAliveProbes]);
  if (socket[kUserTimeout] !== undefined) handle.setUserTimeout(socket[kUserTimeout]);
  if (socket[kTypeOfService] !== undefined) handle.setTypeOfService(socket[kTypeOfService]);
}

// createServer(options): keepAliveInterval, keepAliveCount for accepted sockets.
function serverOptions(server, options) {
  const probes = readProbes(options.keepAliveInterval, options.keepAliveCount,
    'options.keepAliveInterval', 'options.keepAliveCount');
  if (probes !== undefined) server[kServerProbes] = probes;
}

// An accepted socket of a server with keepAlive on gets the server's probes.
function accepted(server, socket, handle) {
  const probes = server[kServerProbes];
  if (probes === undefined) return;
  socket[kKeepAliveProbes] = probes;
  applyProbes(handle, probes);
}

// server.listen(options): reusePort and fastOpen. Returns the bind flag to add.
function listenOptions(server, options) {
  const { reusePort, fastOpen } = options;
  let flags = 0;
  if (reusePort !== undefined) {
    validateBoolean(reusePort, 'options.reusePort');
    if (reusePort) {
      requireLinux('reusePort');
      flags |= UV_TCP_REUSEPORT;
    }
  }
  if (fastOpen !== undefined) validateInt32(fastOpen, 'options.fastOpen', 0);
  if (fastOpen > 0) {
    requireLinux('TCP Fast Open');
    server[kListenFastOpen] = fastOpen;
  } else if (server[kListenFastOpen] !== undefined) {
    // 0 (a fresh socket's own setting), or a server listening again without it.
    server[kListenFastOpen] = undefined;
  }
  return flags;
}

// Between bind(2) and listen(2): TCP_FASTOPEN on the listener. A status (< 0 fails
// the listen as listen(2) failing would).
function beforeListen(server, handle) {
  const queue = server[kListenFastOpen];
  if (queue === undefined || handle[kIsPipe] || typeof handle.setFastOpen !== 'function') return 0;
  return handle.setFastOpen(queue);
}

// ---------------------------------------------------------------------------
// Socket methods.

function tcpHandle(socket) {
  const handle = socket._handle;
  return handle && !handle[kIsPipe] ? handle : null;
}

// Names of the TCP_INFO values, in the order the addon fills them (its table).
const tcpInfoFields = SocketHandle.tcpInfoFields();
const tcpInfoSlots = new Float64Array(tcpInfoFields.length);
const tcpStates = [undefined, 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2',
  'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'];

// Builds the result as one object literal, made from the addon's names once: V8 then
// creates every result with one fixed shape (~50 ns), where setting the properties
// by name in a loop costs about 3 µs per call.
const tcpInfoObject = (() => {
  const props = tcpInfoFields.map((name, i) => {
    if (!/^[a-zA-Z]+$/.test(name)) throw new Error(`rsnet: unexpected TCP_INFO field ${name}`);
    return name === 'state' ? `state: states[s[${i}]] ?? s[${i}]` : `${name}: s[${i}]`;
  });
  return new Function('s', 'states', `return { ${props.join(', ')} };`);
})();

function install(Socket) {
  const nodeSetKeepAlive = Socket.prototype.setKeepAlive;
  nodeFinal = Socket.prototype._final;

  // setKeepAlive(enable, initialDelay[, { interval, count }]): the two-argument form
  // is Node's, untouched. The probes are remembered, and applied whenever keep-alive
  // is on (now, or on connect).
  // Declared with Node's two parameters, so that its `length` stays Node's.
  Socket.prototype.setKeepAlive = function setKeepAlive(enable, initialDelay) {
    const options = arguments[2];
    if (options !== undefined) {
      validateObject(options, 'options');
      const probes = readProbes(options.interval, options.count, 'options.interval', 'options.count');
      if (probes !== undefined) this[kKeepAliveProbes] = probes;
    }
    nodeSetKeepAlive.call(this, enable, initialDelay);
    const handle = tcpHandle(this);
    if (options !== undefined && handle !== null && enable) applyProbes(handle, this[kKeepAliveProbes]);
    return this;
  };

  // TCP_USER_TIMEOUT: how long written data may go unacknowledged before the kernel
  // gives up on the connection (it then ends with ETIMEDOUT). 0: the system default.
  Socket.prototype.setUserTimeout = function setUserTimeout(msecs) {
    validateNumber(msecs, 'msecs', 0, MAX_USER_TIMEOUT_MS);
    requireLinux('socket.setUserTimeout()');
    msecs = Math.trunc(msecs);
    this[kUserTimeout] = msecs;
    const handle = tcpHandle(this);
    if (handle !== null) handle.setUserTimeout(msecs);
    return this;
  };

  // IP_TOS (IPv4) or IPV6_TCLASS (IPv6): the DSCP and ECN byte of outgoing packets.
  Socket.prototype.setTypeOfService = function setTypeOfService(tos) {
    validateInt32(tos, 'tos', 0, 255);
    requireLinux('socket.setTypeOfService()');
    this[kTypeOfService] = tos;
    const handle = tcpHandle(this);
    if (handle !== null) handle.setTypeOfService(tos);
    return this;
  };

  // getsockopt(TCP_INFO) as a plain object (times as the kernel gives them: µs for
  // rtt/rttVar/rto/ato/rcvRtt/minRtt, ms for lastDataSent/lastDataRecv/lastAckRecv).
  // undefined when there is no connected TCP socket (before connect, after destroy,
  // or a Unix socket).
  Socket.prototype.getTCPInfo = function getTCPInfo() {
    requireLinux('socket.getTCPInfo()');
    const handle = tcpHandle(this);
    if (handle === null || this.connecting || handle.tcpInfo(tcpInfoSlots) !== 0) return undefined;
    return tcpInfoObject(tcpInfoSlots, tcpStates);
  };

  require('./send_file').install(Socket, requireLinux);
  // fs.createReadStream(path).pipe(socket) by sendfile(2).
  require('./send_file_pipe').install(Socket);
}

module.exports = {
  install,
  socketOptions,
  connectOptions,
  beforeConnect,
  afterConnect,
  serverOptions,
  accepted,
  listenOptions,
  beforeListen,
  UV_TCP_REUSEPORT,
};
