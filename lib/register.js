'use strict';
// `node -r rsnet/register app.js` / `node --import rsnet/register app.mjs`: run an
// unchanged program on rsnet. Nothing here runs unless one of the entry points
// (register.js, register.mjs) calls install().
//
// What is swapped, and why each way was chosen on Node 20.20:
// - require('net') / require('node:net'): Module._load is patched. Every CJS require
//   (Module.prototype.require, createRequire, the main entry) goes through it, including
//   inside node_modules, and it sees the `node:` form before Node's builtin shortcut.
//   Node's own modules use their internal require and are not affected.
// - import ... from 'node:net' / import('net'): a module.register() resolve hook maps the
//   specifier to an ESM facade of rsnet (register-net.mjs). Patching Node's net exports
//   instead (syncBuiltinESMExports) would change what Node's http/tls see at call time
//   (tls checks `socket instanceof net.Socket` and then expects a C++ stream handle).
// - Node's http/https/tls/http2 servers extend Node's net.Server, captured when those
//   modules load, so they cannot be given rsnet's class. Their listen() is redirected:
//   an rsnet Server listens and every accepted rsnet socket is emitted as 'connection'
//   on the Node server. The Node server's _handle becomes a small adapter over the rsnet
//   server, so Node's own address(), close(), listening, ref()/unref(), getConnections()
//   and 'close' keep working unchanged on it.
// - The default http/https agents: http.Agent's createConnection becomes rsnet's; the
//   https one lays Node's TLS over an rsnet socket (tls.connect({ socket })).
// - process.getBuiltinModule('net') returns rsnet too.
// - Node's global fetch(): its bundled undici requires Node's net through the internal
//   loader, but takes its dispatcher from a global; register_fetch.js installs one whose
//   connections are rsnet's.

const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');
const nodeNet = require('node:net');
const { hookFetch } = require('./register_fetch');
const { hookHttp2Connect } = require('./register_http2');
const { countAsInstanceOf } = require('./instance_of');

const ROOT = path.resolve(__dirname, '..');
const INDEX = path.join(ROOT, 'index.js');
const LIB = path.join(ROOT, 'lib') + path.sep;
const kRegistered = Symbol.for('rsnet.register');
const kInner = Symbol('rsnet.register.inner');

const debugEnv = process.env.RSNET_REGISTER_DEBUG;
const debuglog = util.debuglog('rsnet');
function debug(...args) {
  if (debugEnv && debugEnv !== '0') {
    process.stderr.write(`RSNET ${process.pid}: ${util.format(...args)}\n`);
  } else {
    debuglog(...args);
  }
}

function warn(message) {
  process.emitWarning(message, { type: 'RsnetRegisterWarning', code: 'RSNET_REGISTER' });
}

// rsnet's own files keep Node's net (rsnet re-exports BlockList, isIP... from it).
function isRsnetFile(filename) {
  return typeof filename === 'string' && (filename === INDEX || filename.startsWith(LIB));
}

// Loaded with -r / --import (on the command line or in NODE_OPTIONS), before the app ran.
function isPreload() {
  if (require.main !== undefined) return false;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS || ''].join(' ');
  return /(?:-r|--require|--import)[=\s]+\S*rsnet\S*register|(?:-r|--require|--import)[=\s]+\S*register\.m?js/
    .test(flags);
}

function install(via) {
  const previous = process[kRegistered];
  if (previous) {
    warn(`rsnet/register was loaded twice (${previous.via} from ${previous.root}, then ${via} ` +
      `from ${ROOT}); the second load does nothing.`);
    return previous.rsnet;
  }
  const { isMainThread, parentPort } = require('node:worker_threads');
  // Node's module-hooks thread (an internal worker, with no parentPort) runs the
  // preloads too: nothing to swap there, and it must not register hooks of its own.
  if (!isMainThread && parentPort === null) return null;
  if (!isPreload()) {
    warn(`rsnet/register was loaded ${isMainThread ? 'after the program started' : 'in a worker thread'}: ` +
      "modules that already loaded 'net', 'http' or 'https' keep the objects they hold. " +
      `Preload it instead: node ${via === 'import' ? '--import' : '-r'} rsnet/register app.js` +
      (isMainThread ? '' : ' (workers inherit the preload).'));
  }
  const rsnet = require('../index.js');
  Object.defineProperty(process, kRegistered, {
    __proto__: null, value: { root: ROOT, via, rsnet }, configurable: true,
  });
  hookRequire(rsnet);
  hookInstanceof(rsnet);
  hookImport();
  hookServers(rsnet);
  hookFetch(rsnet, (options) => fetchTLS(rsnet, options), debug);
  return rsnet;
}

// Node's http, https and tls are patched when the program first loads one of them
// (require, import or process.getBuiltinModule), not at start: a program that never
// speaks HTTP or TLS does not load them, and one that changes their internals before
// its first require (as some of Node's own tests do) finds them not loaded yet.
const HTTP_MODULES = new Set(['http', 'https', 'tls', 'http2', '_http_agent', '_http_client',
  '_http_common', '_http_incoming', '_http_outgoing', '_http_server', '_tls_common', '_tls_wrap']);
let httpHooked = false;

function isHttpModule(id) {
  return typeof id === 'string' && HTTP_MODULES.has(id.startsWith('node:') ? id.slice(5) : id);
}

function hookHttp(rsnet) {
  if (httpHooked) return;
  httpHooked = true;
  hookTLSSocketOnce(rsnet);
  if (nativeTlsClients()) require('./tls/node_client').routeNodeTlsClients(require('node:tls'), rsnet.tls);
  hookAgents(rsnet);
  // Node's HTTP parser can be handed an rsnet handle (parser.consume) from now on.
  require('./parser_consume').install();
}

// Node's http2.connect() opens its connections over rsnet (register_http2.js), with
// Node's TLS over them for https, also under RSNET_TLS=native: an http2 session reads
// `encrypted` and the ALPN protocol off a socket with a native stream handle, which
// Node's TLSSocket has and rsnet's native one has not (Node would wrap it in its JS
// stream socket, which says neither, and take the session for cleartext h2c).
function hookHttp2(rsnet, http2) {
  const tls = require('node:tls');
  hookHttp2Connect(http2, {
    connect: (options) => streamSocketOver(rsnet, rsnet.connect(options)),
    connectTLS: (options) => tlsOverRsnet(rsnet, options, (tlsOptions) => tls.connect(tlsOptions)),
    isIP: rsnet.isIP,
  }, debug);
}

// An rsnet socket inside Node's JSStreamSocket, which says it is connecting until the
// rsnet socket has connected. Node's http2 would wrap the rsnet socket in one itself
// (it has no native stream handle), but a JSStreamSocket never says it is connecting,
// so the session would start (and say 'connect') before the connection exists.
function streamSocketOver(rsnet, raw) {
  patchJSStream(rsnet, require('node:tls'));
  if (JSStreamSocket === null) return raw;
  const wrapped = new JSStreamSocket(raw);
  if (raw.connecting) {
    wrapped.connecting = true;
    raw.once('connect', () => {
      wrapped.connecting = false;
      wrapped.emit('connect');
    });
  }
  return wrapped;
}

function hookRequire(rsnet) {
  const load = Module._load;
  const seen = new Set();
  Module._load = function _load(request, parent, isMain) {
    if ((request === 'net' || request === 'node:net') && !isRsnetFile(parent?.filename)) {
      const from = parent?.filename || '<unknown>';
      if (!seen.has(from)) {
        seen.add(from);
        debug("require('%s') from %s -> rsnet", request, from);
      }
      return rsnet;
    }
    // One rsnet per process (its native runtime starts once): require('rsnet') gets
    // this instance even where it would resolve to another path (a symlinked install
    // seen through a path the loader did not resolve, a second copy).
    if (request === 'rsnet' && !isRsnetFile(parent?.filename)) return rsnet;
    const loaded = Reflect.apply(load, this, arguments);
    if (!httpHooked && isHttpModule(request)) hookHttp(rsnet);
    if (request === 'http2' || request === 'node:http2') hookHttp2(rsnet, loaded);
    return loaded;
  };
  // Node's HTTP parser reached through the deprecated process.binding('http_parser')
  // must not take an rsnet handle for a C++ stream either.
  const binding = process.binding;
  process.binding = function(name) {
    const loaded = Reflect.apply(binding, this, arguments);
    if (name === 'http_parser') require('./parser_consume').install();
    return loaded;
  };
  if (typeof process.getBuiltinModule === 'function') {
    const getBuiltinModule = process.getBuiltinModule;
    process.getBuiltinModule = function(id) {
      if (id === 'net' || id === 'node:net') return rsnet;
      const loaded = Reflect.apply(getBuiltinModule, this, arguments);
      if (!httpHooked && isHttpModule(id)) hookHttp(rsnet);
      if (id === 'http2' || id === 'node:http2') hookHttp2(rsnet, loaded);
      return loaded;
    };
  }
  debug("register: require('net') and require('node:net') -> rsnet (Module._load)");
}

// For the application, net.Socket is rsnet's; Node's own sockets (a TLSSocket, the
// sockets of Node's fetch) extend Node's net.Socket, and code checks them with
// `socket instanceof net.Socket` as on Node. So rsnet.Socket counts them too (its
// subclasses keep the ordinary check). rsnet itself tells its sockets apart by their
// prototype chain (isRsnetSocket).
function isRsnetSocket(value) {
  return rsnetSocketPrototype !== null && Object.prototype.isPrototypeOf.call(rsnetSocketPrototype, value);
}
let rsnetSocketPrototype = null;

function hookInstanceof(rsnet) {
  rsnetSocketPrototype = rsnet.Socket.prototype;
  countAsInstanceOf(rsnet.Socket, nodeNet.Socket);
}

// The resolve hook runs on a hooks thread of its own (Node 20 has no in-thread module
// hooks): about 13 MB and 30 ms more at start. RSNET_REGISTER_ESM=0 skips it for a
// program that never imports net as ESM.
function hookImport() {
  if (process.env.RSNET_REGISTER_ESM === '0') {
    debug("register: RSNET_REGISTER_ESM=0: import 'node:net' stays Node's");
    return;
  }
  if (typeof Module.register !== 'function') {
    warn("rsnet/register: this Node has no module.register(); import 'node:net' stays Node's.");
    return;
  }
  try {
    Module.register(pathToFileURL(path.join(__dirname, 'register-hooks.mjs')).href,
      pathToFileURL(__filename).href);
    debug("register: import 'net' and 'node:net' -> rsnet (module.register resolve hook)");
  } catch (err) {
    warn(`rsnet/register: could not register the ESM hook (${err.message}); ` +
      "import 'node:net' stays Node's.");
  }
}

// ---- Node's own servers -------------------------------------------------------------

// Node's servers know their listener only through `_handle`: this gives them one.
class ListenerAdapter {
  constructor(inner) {
    this[kInner] = inner;
    // A pipe server's address() is its path (Node reads `_pipeName` when the handle
    // has no getsockname).
    if (!inner._pipeName) {
      this.getsockname = function(out) {
        Object.assign(out, inner.address());
        return 0;
      };
    }
  }

  close() {
    const inner = this[kInner];
    delete inner.close;
    inner.close();
  }

  ref() { this[kInner].ref(); }

  unref() { this[kInner].unref(); }
}

function serverKind(server, mods) {
  if (server instanceof mods.https.Server) return 'https.Server';
  if (server instanceof mods.http.Server) return 'http.Server';
  if (server instanceof mods.tls.Server) return server.constructor?.name || 'tls.Server';
  if (server.constructor?.name === 'Http2Server') return 'Http2Server';
  return null;
}

// listen(handle) with one of Node's own handles (a TCP wrap, a Node server or socket)
// cannot move to rsnet; an rsnet server's handle can.
function listensOnNodeHandle(args) {
  const first = args[0];
  if (first === null || typeof first !== 'object') return false;
  const handle = first._handle || first.handle;
  return Boolean(handle) && !(handle instanceof require('./binding').ServerHandle);
}

function hookServers(rsnet) {
  let mods = null;
  const listen = nodeNet.Server.prototype.listen;
  nodeNet.Server.prototype.listen = function(...args) {
    // Node's own net.Server instances are http, https, tls or http2 servers: those
    // modules are loaded by now.
    if (mods === null) {
      hookHttp(rsnet);
      mods = { http: require('node:http'), https: require('node:https'), tls: require('node:tls') };
    }
    const kind = serverKind(this, mods);
    if (kind === null || this._handle || listensOnNodeHandle(args)) {
      return Reflect.apply(listen, this, args);
    }
    debug('listen: %s -> rsnet Server', kind);
    let nativeTls = null;
    if (this instanceof mods.tls.Server) {
      const native = require('./tls/node_server').nativeServerOptions(this);
      if (native.options) {
        nativeTls = native.options;
        require('./tls/node_server').countAsNodeTLSSocket(mods.tls);
        debug('listen: %s: TLS in rsnet (rustls)', kind);
      } else {
        debug('listen: %s: Node\'s TLS over rsnet sockets (%s)', kind, native.reason);
        patchJSStream(rsnet, mods.tls);
      }
    }
    listenThroughRsnet(rsnet, this, args, kind, nativeTls);
    return this;
  };
  debug('register: http, https, tls and http2 servers listen through rsnet (net.Server.prototype.listen)');
}

// `nativeTls`: the options of rsnet's native TLS for a tls/https server (RSNET_TLS=native),
// which then gets 'secureConnection' sockets from rsnet instead of 'connection' ones.
function listenThroughRsnet(rsnet, outer, args, kind, nativeTls = null) {
  // Node's http server reads its connections' bytes through its parser, as it does
  // with its own sockets (https and http2 servers get TLS sockets, not these).
  // An https server with TLS in rsnet gets plaintext rsnet sockets: its parser reads
  // them the same way.
  const offer = kind === 'http.Server' || (kind === 'https.Server' && nativeTls !== null) ?
    require('./parser_consume').offerToHttp : null;
  const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null;
  const inner = new rsnet.Server({
    allowHalfOpen: outer.allowHalfOpen,
    // TLS must be on before native TLS's sockets read anything.
    pauseOnConnect: outer.pauseOnConnect || nativeTls !== null,
    noDelay: outer.noDelay,
    keepAlive: outer.keepAlive,
    keepAliveInitialDelay: outer.keepAliveInitialDelay * 1000,
    highWaterMark: outer.highWaterMark,
  });
  // Its sockets are TLSSockets from birth (see lib/tls/server.js).
  if (nativeTls !== null) inner[require('./server').kAcceptedSocketClass] = require('./tls/server').AcceptedTLSSocket;
  // The Node server holds the count and the limit: sockets report to it when they close.
  Object.defineProperty(inner, '_connections', {
    __proto__: null, get() { return outer._connections; }, set(v) { outer._connections = v; },
  });
  Object.defineProperty(inner, 'maxConnections', {
    __proto__: null, get() { return outer.maxConnections; }, set(v) { outer.maxConnections = v; },
  });
  // A cluster worker's listen() hands the primary its server's data, and sets what the
  // primary answers (a TLS server's ticket keys, so that every worker resumes the
  // sessions of the others): the Node server's, not the rsnet server's.
  if (typeof outer._getServerData === 'function') {
    inner._getServerData = () => outer._getServerData();
    inner._setServerData = (data) => outer._setServerData(data);
  }
  // Anything that closes the rsnet server by itself (an aborted `signal`) closes the
  // Node server, which closes the rsnet one through its adapter.
  inner.close = function(callback) {
    outer.close(callback);
    return this;
  };
  const adopt = () => {
    if (outer._handle || !inner._handle) return;
    outer._pipeName = inner._pipeName;
    outer._handle = new ListenerAdapter(inner);
    if (outer._unref) outer._handle.unref();
  };
  inner.on('listening', () => {
    adopt();
    outer.emit('listening');
  });
  inner.on('error', (err) => outer.emit('error', err));
  inner.on('drop', (data) => outer.emit('drop', data));
  inner.on('connection', (socket) => {
    socket.server = outer;
    socket._server = outer;
    if (offer !== null) offer(socket);
    if (nativeTls !== null) {
      // The server's own 'connection' listeners see the socket, as with Node's TLS, but
      // not Node's TLS wrapper (tls.Server's tlsConnectionListener).
      for (const listener of outer.listeners('connection')) {
        if (listener.name !== 'tlsConnectionListener') Reflect.apply(listener, outer, [socket]);
      }
      require('./tls/server').secureAccepted(outer, socket, nativeTls);
      return;
    }
    outer.emit('connection', socket);
  });
  inner.listen(...args);
  adopt();
  if (cb !== null) outer.once('listening', cb);
}

// TLS over an rsnet socket goes through Node's JSStreamSocket, whose native handle has
// no getpeername/getsockname/ref/unref: Node's TLSSocket would report no remoteAddress
// and could not unref a pooled keep-alive socket. Give that handle class those methods,
// answering for rsnet sockets only (other streams see what they saw before).
let jsStreamPatched = false;
let JSStreamSocket = null; // Node's class, found by patchJSStream
function patchJSStream(rsnet, tls) {
  if (jsStreamPatched) return;
  jsStreamPatched = true;
  const { PassThrough } = require('node:stream');
  let probe;
  try {
    probe = new tls.TLSSocket(new PassThrough());
  } catch {
    return;
  }
  const handle = probe._handle?._parent;
  probe.destroy();
  if (!handle) return;
  const owner = Object.getOwnPropertySymbols(handle).find((s) => s.description === 'owner_symbol');
  const proto = Object.getPrototypeOf(handle);
  if (!owner || !proto) return;
  JSStreamSocket = handle[owner].constructor;
  failWritesAfterEnd(rsnet, Object.getPrototypeOf(handle[owner]));
  const rawOf = (h) => {
    const stream = h[owner]?.stream;
    return isRsnetSocket(stream) ? stream : null;
  };
  const define = (name, fn) => {
    if (!(name in proto)) proto[name] = fn;
  };
  define('getpeername', function(out) {
    const raw = rawOf(this);
    if (!raw) return undefined;
    Object.assign(out, raw._getpeername());
    return 0;
  });
  define('getsockname', function(out) {
    const raw = rawOf(this);
    if (!raw) return undefined;
    Object.assign(out, raw._getsockname());
    return 0;
  });
  define('ref', function() { rawOf(this)?.ref(); });
  define('unref', function() { rawOf(this)?.unref(); });
  define('setNoDelay', function(enable) { rawOf(this)?.setNoDelay(enable); return 0; });
  define('setKeepAlive', function(enable, delaySecs) {
    rawOf(this)?.setKeepAlive(enable, delaySecs * 1000);
    return 0;
  });
  debug('register: TLS over rsnet sockets reports their addresses and ref/unref (JSStream handle)');
}

// A write after the socket's end(): libuv fails it at once with EPIPE, and Node's TLS
// ignores that once it has shut down (the rest of a handshake after an early end()).
// JSStreamSocket (`proto`) passed it on to the ended rsnet socket, whose write-after-end
// 'error' then destroyed the TLS connection.
function failWritesAfterEnd(rsnet, proto) {
  const doWrite = proto?.doWrite;
  if (typeof doWrite !== 'function') return;
  const EPIPE = -os.constants.errno.EPIPE;
  proto.doWrite = function(req, bufs) {
    if (isRsnetSocket(this.stream) && this.stream.writableEnded) return EPIPE;
    return Reflect.apply(doWrite, this, arguments);
  };
}

// Node's TLSSocket waits for the socket under it to connect, and says 'connect' with it,
// only for one of Node's own sockets (`socket instanceof net.Socket` in
// TLSSocket.prototype._init). Over an rsnet socket not connected yet, tls.connect({ socket })
// started the handshake at once and its first write failed with ERR_SOCKET_CLOSED, or
// went out before connect() was called. rsnet's sockets get the same rule.
let tlsSocketHooked = false;
function hookTLSSocketOnce(rsnet) {
  if (tlsSocketHooked) return;
  tlsSocketHooked = true;
  hookTLSSocket(rsnet);
}

function hookTLSSocket(rsnet) {
  const { TLSSocket } = require('node:tls');
  const init = TLSSocket.prototype._init;
  if (typeof init !== 'function') return;
  TLSSocket.prototype._init = function _init(socket, wrap) {
    Reflect.apply(init, this, arguments);
    if (!isRsnetSocket(socket)) return;
    // Over one of Node's sockets, a TLS socket is destroyed on that socket's 'close'
    // (TLSSocket.prototype._wrapHandle); over an rsnet one it waited for the JSStreamSocket
    // between them to close, an immediate later, after the socket's own 'close' listeners.
    socket.on('close', () => this.destroy());
    this._parent = socket;
    this.connecting = socket.connecting || !socket._handle;
    socket.once('connect', () => {
      this.connecting = false;
      this.emit('connect');
    });
  };
  debug('register: TLS sockets over rsnet sockets wait for their connect (TLSSocket.prototype._init)');
}

// ---- Node's default agents ------------------------------------------------------------

const CONNECT_OPTIONS = ['host', 'port', 'path', 'localAddress', 'localPort', 'family', 'hints',
  'lookup', 'autoSelectFamily', 'autoSelectFamilyAttemptTimeout', 'noDelay', 'keepAlive',
  'keepAliveInitialDelay'];

function hookAgents(rsnet) {
  const http = require('node:http');
  const https = require('node:https');
  if (http.Agent.prototype.createConnection === nodeNet.createConnection) {
    http.Agent.prototype.createConnection = rsnet.createConnection;
    debug('register: http.Agent createConnection -> rsnet.createConnection');
  }
  const createTLS = https.Agent.prototype.createConnection;
  https.Agent.prototype.createConnection = function createConnection(port, host, options) {
    if (port !== null && typeof port === 'object') options = port;
    else if (host !== null && typeof host === 'object') options = host;
    options = { ...options };
    if (typeof port === 'number') options.port = port;
    if (typeof host === 'string') options.host = host;
    // With native TLS clients, Node's own createConnection (its session cache) calls
    // tls.connect, which is rsnet's (lib/tls/node_client.js).
    if (options.socket || nativeTlsClients()) return Reflect.apply(createTLS, this, [options]);
    return tlsOverRsnet(rsnet, options, (tlsOptions) => Reflect.apply(createTLS, this, [tlsOptions]));
  };
  debug('register: https.Agent createConnection -> %s', nativeTlsClients() ?
    'tls.connect, rsnet\'s native TLS (RSNET_TLS=native)' : 'TLS over rsnet.connect');
}

// RSNET_TLS=native: Node's TLS clients connect through rsnet's native TLS.
function nativeTlsClients() {
  return process.env.RSNET_TLS === 'native';
}

// Node's TLS over a new rsnet connection: makeTLS(options) is tls.connect or an
// agent's own createConnection, given `options` with the rsnet socket as `socket`.
function tlsOverRsnet(rsnet, options, makeTLS) {
  hookHttp(rsnet);
  patchJSStream(rsnet, require('node:tls'));
  const connectOptions = {};
  for (const key of CONNECT_OPTIONS) {
    if (options[key] !== undefined) connectOptions[key] = options[key];
  }
  const raw = rsnet.connect(connectOptions);
  // Connecting until TCP is, then says 'connect' (hookTLSSocket).
  const socket = makeTLS({ ...options, socket: raw });
  // An aborted `signal` destroys the TLS socket while it is being built, before it holds
  // the wrapper that would close `raw` with it: `raw` connected on, and its error (the
  // server gone by then) reached a TLS socket no one listened to any more.
  socket.once('close', () => raw.destroy());
  return socket;
}

// fetch()'s https connections: Node's TLS over rsnet, or over the tunnel it was given.
function fetchTLS(rsnet, options) {
  const tls = require('node:tls');
  if (options.socket) return tls.connect(options);
  // RSNET_TLS=native: rsnet's native TLS, as for Node's own tls.connect then.
  if (nativeTlsClients()) return rsnet.tls.connect(options);
  return tlsOverRsnet(rsnet, options, (tlsOptions) => tls.connect(tlsOptions));
}

// ---- Node's TLS over rsnet sockets, for rsnet.tls's fallback -----------------------

// Node's TLSSocket over an rsnet socket waits for its connect and reports its
// addresses (what rsnet/register sets up when the program loads tls), without the
// rest of register.
function nodeTlsOverRsnet(rsnet) {
  const tls = require('node:tls');
  rsnetSocketPrototype ??= rsnet.Socket.prototype;
  hookTLSSocketOnce(rsnet);
  patchJSStream(rsnet, tls);
}

// Node's tls.Server, listening through an rsnet server (as under rsnet/register).
function nodeTlsServerOverRsnet(rsnet, options, listener) {
  const tls = require('node:tls');
  nodeTlsOverRsnet(rsnet);
  const server = tls.createServer(options, listener);
  server.listen = function listen(...args) {
    listenThroughRsnet(rsnet, this, args, 'tls.Server');
    return this;
  };
  return server;
}

module.exports = { install, nodeTlsOverRsnet, nodeTlsServerOverRsnet };
