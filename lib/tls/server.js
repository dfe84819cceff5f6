'use strict';
// tls.Server over rsnet: an rsnet Server whose accepted sockets become TLSSockets
// with TLS in native code. Connections are accepted paused (nothing is read before
// TLS is on), then read as the handshake needs.

const { Server: NetServer } = require('../server');
const { codes: { ERR_INVALID_ARG_TYPE } } = require('../errors');
const { TLSSocket, initTls, startTls } = require('./socket');
const { SecureContext } = require('./context');
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
  // Accepted paused: TLS must be on before the first byte is read.
  NetServer.call(this, { ...options, pauseOnConnect: true }, tlsConnectionListener);
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

// rustls makes its own ticket keys per context; there are none to get or set.
Server.prototype.getTicketKeys = function getTicketKeys() { return Buffer.alloc(48); };
Server.prototype.setTicketKeys = function setTicketKeys() {};

function tlsConnectionListener(socket) {
  Object.setPrototypeOf(socket, TLSSocket.prototype);
  initTls(socket, {
    isServer: true,
    server: this,
    requestCert: this.requestCert,
    rejectUnauthorized: this.rejectUnauthorized,
    ALPNProtocols: this.ALPNProtocols,
  });
  try {
    startTls(socket, this[kContext], null);
  } catch (err) {
    socket.destroy();
    this.emit('tlsClientError', err, socket);
    return;
  }
  const timeout = this[kHandshakeTimeout];
  if (timeout > 0) {
    const onTimeout = () => {
      const err = new Error('TLS handshake timeout');
      err.code = 'ERR_TLS_HANDSHAKE_TIMEOUT';
      socket.destroy();
      this.emit('tlsClientError', err, socket);
    };
    socket.setTimeout(timeout, onTimeout);
    socket[require('./socket').kTls].handshakeTimer = onTimeout;
  }
  socket.on('close', (hadError) => {
    const state = socket[require('./socket').kTls];
    if (!state.secured && !state.reported && !hadError) {
      state.reported = true;
      const err = new Error('socket hang up');
      err.code = 'ECONNRESET';
      this.emit('tlsClientError', err, socket);
    }
  });
  // pauseOnConnect left the socket paused: read for the handshake without making
  // it flow (data waits for a consumer, as on any new socket).
  socket._readableState.flowing = null;
  socket.read(0);
}

function createServer(options, listener) {
  return new Server(options, listener);
}

module.exports = { Server, createServer };
