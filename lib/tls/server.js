'use strict';
// tls.Server over rsnet: an rsnet Server whose accepted sockets are TLSSockets
// with TLS in native code. Connections are accepted paused (nothing is read before
// TLS is on), then read as the handshake needs.

const { Server: NetServer, kAcceptedSocketClass } = require('../server');
const { Socket } = require('../socket');
const { codes: { ERR_INVALID_ARG_TYPE } } = require('../errors');
const { TLSSocket, initTls, startTls, kTls } = require('./socket');
const { SecureContext, alpnList } = require('./context');
const { debug } = require('./debug');

const kContext = Symbol('rsnetTlsContext');
const kHandshakeTimeout = Symbol('handshakeTimeout');

function Server(options, listener) {
  if (!(this instanceof Server)) return new Server(options, listener);
  if (typeof options === 'function') {
    listener = options;
    options = {};
  } else if (options == null || typeof options === 'object') {
    options = { ...options };
  } else {
    throw new ERR_INVALID_ARG_TYPE('options', 'Object', options);
  }
  this.requestCert = options.requestCert === true;
  this.rejectUnauthorized = options.rejectUnauthorized !== false;
  if (options.ALPNProtocols) this.ALPNProtocols = options.ALPNProtocols;
  this[kHandshakeTimeout] = options.handshakeTimeout || 120 * 1000;
  if (typeof this[kHandshakeTimeout] !== 'number') {
    throw new ERR_INVALID_ARG_TYPE('options.handshakeTimeout', 'number', options.handshakeTimeout);
  }
  this.setSecureContext(options);
  // The configuration rustls will use, made now: what it refuses is an error here.
  this[kContext].native(true, alpnList(this.ALPNProtocols), this.requestCert, this.rejectUnauthorized);
  NetServer.call(this, options, tlsConnectionListener);
  this[kAcceptedSocketClass] = AcceptedTLSSocket;
  if (listener) this.on('secureConnection', listener);
  debug('tls.Server: native TLS (rustls)');
}
Object.setPrototypeOf(Server.prototype, NetServer.prototype);
Object.setPrototypeOf(Server, NetServer);

Server.prototype.setSecureContext = function setSecureContext(options) {
  if (options === null || typeof options !== 'object') {
    throw new ERR_INVALID_ARG_TYPE('options', 'Object', options);
  }
  this[kContext] = options.secureContext instanceof SecureContext ?
    options.secureContext : new SecureContext(options);
};

// The keys the server's session tickets are sealed with: two servers given the same
// keys resume each other's sessions.
Server.prototype.getTicketKeys = function getTicketKeys() { return this[kContext].getTicketKeys(); };
Server.prototype.setTicketKeys = function setTicketKeys(keys) { this[kContext].setTicketKeys(keys); };

// A cluster worker's listen() hands the primary its keys and takes those the primary
// answers (the first worker's), so every worker resumes the sessions of the others.
Server.prototype._getServerData = function _getServerData() {
  return { ticketKeys: this.getTicketKeys().toString('hex') };
};
Server.prototype._setServerData = function _setServerData(data) {
  this.setTicketKeys(Buffer.from(data.ticketKeys, 'hex'));
};

// What a TLS server accepts: a TLSSocket from birth. V8 gives an object whose
// prototype was changed (Object.setPrototypeOf) a map of its own at every property
// added after: each connection's socket had its own shape, every site of Node's http
// that reads a socket went megamorphic (26k instructions more per HTTPS request).
// Made paused whatever the server's pauseOnConnect: TLS must be on before the first
// byte is read (secureAccepted then hands it over paused or not, as Node's TLS does).
class AcceptedTLSSocket extends Socket {
  constructor(options) {
    options.pauseOnCreate = true;
    super(options);
  }
}
Object.setPrototypeOf(AcceptedTLSSocket.prototype, TLSSocket.prototype);
Object.defineProperty(AcceptedTLSSocket.prototype, 'constructor', {
  __proto__: null, value: TLSSocket, writable: true, configurable: true,
});

function tlsConnectionListener(socket) {
  secureAccepted(this, socket, {
    context: this[kContext],
    requestCert: this.requestCert,
    rejectUnauthorized: this.rejectUnauthorized,
    ALPNProtocols: this.ALPNProtocols,
    handshakeTimeout: this[kHandshakeTimeout],
    pauseOnConnect: this.pauseOnConnect,
  });
}

// Makes a socket an rsnet server accepted (paused) a TLS socket of `server`, which
// emits 'secureConnection' and 'tlsClientError' for it: rsnet.tls's Server, or one of
// Node's tls/https servers listening through rsnet (rsnet/register, RSNET_TLS=native).
function secureAccepted(server, socket, {
  context, requestCert, rejectUnauthorized, ALPNProtocols, handshakeTimeout, pauseOnConnect,
}) {
  if (!(socket instanceof TLSSocket)) Object.setPrototypeOf(socket, TLSSocket.prototype);
  initTls(socket, { isServer: true, server, requestCert, rejectUnauthorized, ALPNProtocols });
  try {
    startTls(socket, context, null);
  } catch (err) {
    socket.destroy();
    server.emit('tlsClientError', err, socket);
    return;
  }
  const state = socket[kTls];
  if (handshakeTimeout > 0) {
    const onTimeout = () => {
      const err = new Error('TLS handshake timeout');
      err.code = 'ERR_TLS_HANDSHAKE_TIMEOUT';
      state.reported = true;
      socket.destroy();
      server.emit('tlsClientError', err, socket);
    };
    socket.setTimeout(handshakeTimeout, onTimeout);
    state.handshakeTimer = onTimeout;
  }
  socket.on('close', (hadError) => {
    if (!state.secured && !state.reported && !hadError) {
      state.reported = true;
      const err = new Error('socket hang up');
      err.code = 'ECONNRESET';
      server.emit('tlsClientError', err, socket);
    }
  });
  // Accepted paused: read for the handshake without making the socket flow (data
  // waits for a consumer, as on any new socket). A server made with pauseOnConnect
  // hands its sockets over paused, as Node's TLS does (isPaused(): true).
  socket._readableState.flowing = null;
  if (pauseOnConnect) socket.pause();
  socket.read(0);
}

function createServer(options, listener) {
  return new Server(options, listener);
}

module.exports = { Server, createServer, secureAccepted, AcceptedTLSSocket };
