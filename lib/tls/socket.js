'use strict';
// tls.TLSSocket over rsnet's native TLS: an rsnet Socket whose stream is encrypted in
// native code (src/core/stream/tls.rs). The bytes it reads and writes are plaintext;
// what TLS adds is the handshake's end (an empty read, on which the handshake's
// outcome is read from the handle), TLS failures (a read error of a status of its
// own), and the verification Node does after the handshake.

const { X509Certificate } = require('node:crypto');

const { Socket } = require('../socket');
const { SocketHandle } = require('../binding');
const { UV_EOF } = require('../binding').errno;
const { kOwner } = require('../symbols');
const { debug } = require('./debug');
const { clientContext, alpnList } = require('./context');
const { verifyError, peerCertificate, legacyObject } = require('./verify');
const reporting = require('./reporting');

const { tlsFailedStatus } = require('../native');
const TLS_FAILED = tlsFailedStatus();
// The stream's own read callback (lib/stream_io.js), which plaintext goes on to.
const streamOnRead = SocketHandle.prototype.onread;

const kTls = Symbol('rsnetTls');
// Set by destroy(): the socket's TLS is over, even if connect() revives the socket.
const kTlsEnded = Symbol('rsnetTlsEnded');

// rustls's suite names (IANA's with TLS13_ for 1.3) as OpenSSL names them.
function cipherOf(rustlsName, version) {
  if (rustlsName.startsWith('TLS13_')) {
    const name = `TLS_${rustlsName.slice(6)}`;
    return { name, standardName: name, version };
  }
  const standardName = rustlsName;
  const name = rustlsName.replace(/^TLS_/, '').replace('_WITH_', '_').replace(/_(\d+)_GCM/, '$1_GCM')
    .replace('AES_', 'AES').replace(/_/g, '-');
  return { name, standardName, version };
}

function TLSSocket(socket, options) {
  if (!(this instanceof TLSSocket)) return new TLSSocket(socket, options);
  if (socket) {
    throw new Error('rsnet.tls.TLSSocket wraps no existing socket: use node:tls for that');
  }
  options = { ...options };
  Socket.call(this, { allowHalfOpen: options.allowHalfOpen, highWaterMark: options.highWaterMark,
    signal: options.signal, onread: options.onread });
  initTls(this, options);
  // A client: TLS starts once TCP is connected, before any other 'connect' listener
  // (writes made while connecting wait on one), so before anything is written or read.
  if (!options.isServer) this.prependOnceListener('connect', onClientConnect);
}
Object.setPrototypeOf(TLSSocket.prototype, Socket.prototype);
Object.setPrototypeOf(TLSSocket, Socket);

// Makes `socket` (new, or an rsnet Socket a TLS server accepted) a TLS socket.
function initTls(socket, options) {
  socket[kTls] = { options, info: null, secured: false, context: null };
  socket.encrypted = true;
  socket.authorized = false;
  socket.authorizationError = null;
  socket.alpnProtocol = null;
  socket.servername = null;
  socket._secureEstablished = false;
}

// Starts TLS on the socket's connected handle: `context` is a SecureContext.
function startTls(socket, context, servername) {
  const state = socket[kTls];
  const { options } = state;
  state.context = context;
  state.servername = servername;
  const handle = socket._handle;
  const alpn = alpnList(options.ALPNProtocols);
  const native = context.native(Boolean(options.isServer), alpn, options.requestCert, options.rejectUnauthorized);
  reporting.startReporting(socket, state, handle, native, servername);
  handle.onread = tlsOnRead;
}

// The handle's reads while TLS is on.
function tlsOnRead(nread, buf) {
  const socket = this[kOwner];
  const state = socket?.[kTls];
  // An empty read may be news (sessions, key log lines: never told with data).
  // Taken first: Node logs a handshake's keys before it says the handshake is done.
  if (nread === 0 && state?.reporting) reporting.takeNews(socket, state, this);
  if (state && !state.secured) {
    const info = this.tlsInfo();
    if (info !== null && info !== undefined) {
      onSecure(socket, state, info);
      if (socket.destroyed) return;
    } else if (nread === UV_EOF || (nread < 0 && nread !== TLS_FAILED)) {
      return failBeforeSecure(socket, state, nread);
    }
  }
  if (nread === 0) {
    // An empty read comes before the plaintext a close_notify came with.
    if (state?.secured && state.closeAt === undefined) state.closeAt = this.tlsCloseNotifyAt() ?? undefined;
    return;
  }
  if (nread === UV_EOF && state?.eofTold) return;
  if (nread === TLS_FAILED) return onTlsFailure(socket, state, this);
  Reflect.apply(streamOnRead, this, [nread, buf]);
  if (nread > 0 && state !== undefined) {
    state.plainRead = (state.plainRead ?? 0) + nread;
    if (state.closeAt !== undefined && state.plainRead >= state.closeAt) endWithCloseNotify(socket, state, this);
  }
}

// The peer's close_notify came with the data just handed over (its last byte reached
// the position an empty read before it gave). Node's TLSWrap reads both in one pass,
// so the stream ends now, before what the data's handlers did (an end() whose shutdown
// completes after this turn's reads) finishes; the EOF event that follows would wait
// for the next turn, as a plain socket's.
function endWithCloseNotify(socket, state, handle) {
  if (state.eofTold || socket.destroyed) return;
  state.eofTold = true;
  handle.readStop();
  Reflect.apply(streamOnRead, handle, [UV_EOF]);
}

function onSecure(socket, state, info) {
  state.secured = true;
  state.info = info;
  socket._secureEstablished = true;
  socket.alpnProtocol = info.alpn ?? false;
  const { options } = state;
  debug('secure established (%s, %s)', info.protocol, options.isServer ? 'server' : 'client');
  if (options.isServer) {
    socket.servername = info.servername ?? false;
    if (state.handshakeTimer) socket.setTimeout(0, state.handshakeTimer);
    socket.emit('secure');
    if (options.requestCert) {
      const err = verifyError(info);
      if (err) {
        socket.authorizationError = err.code;
        if (options.rejectUnauthorized) {
          // As Node's server: the socket is destroyed before anyone was handed it, which
          // its server tells as a connection reset ('socket hang up').
          const reset = new Error('socket hang up');
          reset.code = 'ECONNRESET';
          serverClientError(socket, options.server, reset);
          return;
        }
      } else {
        socket.authorized = true;
      }
    }
    if (!socket.destroyed) options.server.emit('secureConnection', socket);
    return;
  }
  socket.servername = state.servername ?? false;
  socket.emit('secure');
  let err = verifyError(info);
  if (!err && !info.resumed) {
    const hostname = options.servername || options.host || 'localhost';
    err = options.checkServerIdentity(hostname, socket.getPeerCertificate(true)) ?? null;
  }
  if (err) {
    socket.authorizationError = err.code || err.message;
    if (options.rejectUnauthorized) {
      socket.destroy(err);
      return;
    }
  } else {
    socket.authorized = true;
  }
  state.judged = true;
  socket.emit('secureConnect');
  reporting.verified(socket, state);
}

// The connection ended or failed before the handshake did.
function failBeforeSecure(socket, state, nread) {
  const { options } = state;
  if (options.isServer) {
    const err = new Error('socket hang up');
    err.code = 'ECONNRESET';
    return serverClientError(socket, options.server, err);
  }
  if (nread !== UV_EOF) return Reflect.apply(streamOnRead, socket._handle, [nread]);
  const err = new Error('Client network socket disconnected before secure TLS connection was established');
  err.code = 'ECONNRESET';
  err.path = options.path;
  err.host = options.host;
  err.port = options.port;
  err.localAddress = options.localAddress;
  socket.destroy(err);
}

function onTlsFailure(socket, state, handle) {
  const [code, message] = handle.tlsError() ?? ['ERR_SSL_SSL_HANDSHAKE_FAILURE', 'TLS failure'];
  const err = new Error(message);
  // Node's own order; its code is OpenSSL's reason string, upper-cased (so back).
  err.library = 'SSL routines';
  err.reason = code.startsWith('ERR_SSL_') ? code.slice(8).toLowerCase().replace(/_/g, ' ') : message;
  err.code = code;
  if (state.options.isServer && !state.secured) return serverClientError(socket, state.options.server, err);
  socket.destroy(err);
}

// As Node: a server's connection that fails before it is secure is the server's
// 'tlsClientError', never an 'error' of a socket nobody was handed yet.
function serverClientError(socket, server, err) {
  if (socket[kTls].reported) return;
  socket[kTls].reported = true;
  socket.destroy();
  server.emit('tlsClientError', err, socket);
}

// A client's writes wait until the server's certificate was judged (`judged`, set just
// before 'secureConnect'):
// handed to the session earlier, rustls would send them the moment the handshake ends,
// before JS could refuse the peer (rejectUnauthorized, checkServerIdentity). Node never
// lets plaintext reach a server it then rejects. The Writable holds the writes behind
// this one, in order.
TLSSocket.prototype._writeGeneric = function _writeGeneric(writev, data, encoding, cb) {
  const state = this[kTls];
  if (state === undefined || state.options.isServer || state.judged || this.connecting || this.destroyed) {
    return Reflect.apply(Socket.prototype._writeGeneric, this, [writev, data, encoding, cb]);
  }
  const onClose = () => {
    this.off('secureConnect', onSecureConnect);
    // As Node's: TLS had taken the write, which then went nowhere.
    cb();
  };
  const onSecureConnect = () => {
    this.off('close', onClose);
    Reflect.apply(Socket.prototype._writeGeneric, this, [writev, data, encoding, cb]);
  };
  this.once('secureConnect', onSecureConnect);
  this.once('close', onClose);
};

// end() before the handshake is done: the FIN (and close_notify) wait for it, as the
// handshake still has to write, and what was written so far waits in the session.
TLSSocket.prototype._final = function _final(cb) {
  const state = this[kTls];
  if (state && !state.secured && !this.destroyed) {
    this.once('secure', () => Reflect.apply(Socket.prototype._final, this, [cb]));
    return;
  }
  return Reflect.apply(Socket.prototype._final, this, [cb]);
};

TLSSocket.prototype.getPeerCertificate = function getPeerCertificate(detailed) {
  if (!this._handle && !this[kTls]?.info) return null;
  const info = this[kTls]?.info;
  if (!info) return {};
  return peerCertificate(info.peerChain, Boolean(detailed), () => this[kTls].context.trusted());
};

TLSSocket.prototype.getCertificate = function getCertificate() {
  const context = this[kTls]?.context;
  if (!this._handle || !context) return null;
  return context.chain.length > 0 ? legacyObject(new X509Certificate(context.chain[0])) : {};
};

TLSSocket.prototype.getProtocol = function getProtocol() {
  if (!this._handle) return null;
  return this[kTls]?.info?.protocol ?? 'unknown';
};

TLSSocket.prototype.getCipher = function getCipher() {
  const info = this[kTls]?.info;
  if (!this._handle || !info) return null;
  return cipherOf(info.cipher, info.protocol);
};

TLSSocket.prototype.isSessionReused = function isSessionReused() {
  return Boolean(this[kTls]?.info?.resumed);
};

// A client's latest session (its name: see src/core/tls/sessions.rs); a server's
// are not handed out.
TLSSocket.prototype.getSession = function getSession() {
  if (!this._handle) return null;
  const state = this[kTls];
  return state ? reporting.getSession(this, state) : undefined;
};

TLSSocket.prototype.exportKeyingMaterial = function exportKeyingMaterial(length, label, context) {
  return reporting.exportKeyingMaterial(this, length, label, context);
};
TLSSocket.prototype.getTLSTicket = function getTLSTicket() { return undefined; };
// As Node's: null on a server socket (and once the socket is closed); on a client the
// key exchange's group once the handshake is done, {} before (every group rustls
// offers is an elliptic curve: OpenSSL's type 'ECDH').
TLSSocket.prototype.getEphemeralKeyInfo = function getEphemeralKeyInfo() {
  const state = this[kTls];
  if (!this._handle || state === undefined || state.options.isServer) return null;
  const info = state.info;
  if (!info?.keyExchange) return {};
  return { type: 'ECDH', name: info.keyExchange, size: info.keyExchangeSize };
};
// rustls never renegotiates.
TLSSocket.prototype.disableRenegotiation = function disableRenegotiation() {};
TLSSocket.prototype.setMaxSendFragment = function setMaxSendFragment() { return false; };

// A socket's TLS ends with its destroy(), as Node's TLSSocket lets its TLS go then
// (an aborted signal destroys it in Socket's constructor, before initTls).
TLSSocket.prototype._destroy = function _destroy(err, cb) {
  this[kTlsEnded] = true;
  return Reflect.apply(Socket.prototype._destroy, this, [err, cb]);
};

// Client: the TCP connection is up: start TLS before the socket reads.
function onClientConnect() {
  const state = this[kTls];
  const { options } = state;
  // Destroyed before it connected (an AbortSignal aborted before tls.connect(): the
  // Duplex destroys the socket, and connect() then revives it, as Node's net does).
  // As with Node's TLS, the connection opened regardless closes after its 'connect',
  // with no TLS on it; it stayed open before, holding the server's close() forever.
  if (this[kTlsEnded]) {
    process.nextTick(() => this.destroy());
    return;
  }
  let servername = options.servername;
  if (servername === undefined && options.host && require('node:net').isIP(options.host) === 0) {
    servername = options.host;
  }
  try {
    startTls(this, clientContext(options), servername || null);
  } catch (err) {
    this.destroy(err);
  }
}

module.exports = { TLSSocket, initTls, startTls, onClientConnect, kTls };
