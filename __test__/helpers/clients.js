'use strict';
// Shared bits of the real-client tests (__test__/clients/): the two implementations, and
// a per-socket event trace that is comparable between them.
const net = require('node:net');
const tls = require('node:tls');
const http = require('node:http');

const { ROOT, impls, RSNET_IS_FALLBACK } = require('./harness.js');
const { once, withTimeout, sha256, randomBytes } = require('./parity.js');

/**
 * Records the lifecycle events of one socket, in order: connect, ready, data (a run of
 * 'data' events is one entry: TCP may split or coalesce them), end, finish, timeout,
 * error (its code), close (hadError). `bytes` counts what 'data' delivered.
 */
class SocketTrace {
  constructor(socket, label) {
    this.label = label;
    this.events = [];
    this.bytes = 0;
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', resolve));
    const push = (e) => this.events.push(e);
    socket.on('connect', () => push('connect'));
    socket.on('ready', () => push('ready'));
    socket.on('end', () => push('end'));
    socket.on('finish', () => push('finish'));
    socket.on('timeout', () => push('timeout'));
    socket.on('error', (err) => push(`error:${err.code || err.message}`));
    socket.on('close', (hadError) => push(`close:${hadError}`));
    // 'data' listeners would switch a paused socket to flowing: only watch, via a wrap
    // of emit, without adding a listener.
    const emit = socket.emit;
    socket.emit = (event, ...args) => {
      if (event === 'data') {
        const chunk = args[0];
        this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        if (this.events[this.events.length - 1] !== 'data') push('data');
      }
      return emit.call(socket, event, ...args);
    };
  }
  toJSON() {
    return { label: this.label, events: this.events, bytes: this.bytes };
  }
}

/** Which implementation made this socket: 'net', 'rsnet', or something else. */
function madeBy(socket) {
  if (!RSNET_IS_FALLBACK && socket instanceof impls.rsnet.Socket) return 'rsnet';
  if (socket instanceof net.Socket) return 'net';
  return `other (${socket && socket.constructor && socket.constructor.name})`;
}

/** The two TLS implementations of the native-path tests: Node's tls, rsnet's native one. */
const tlsImpls = {
  node: tls,
  get rsnet() {
    return impls.rsnet.tls;
  },
};

/**
 * Which TLS made this socket: 'rsnet native' (rustls inside an rsnet stream; a server's
 * accepted socket too), 'node' (Node's TLSSocket, over whatever transport: rsnet.tls's
 * fallback is one), or something else. By prototype, as `instanceof` is widened under
 * rsnet/register (lib/instance_of.js).
 */
function tlsMadeBy(socket) {
  const has = (Class) => Object.prototype.isPrototypeOf.call(Class.prototype, socket);
  if (!RSNET_IS_FALLBACK && has(impls.rsnet.tls.TLSSocket)) return 'rsnet native';
  if (has(tls.TLSSocket)) return 'node';
  return `other (${socket && socket.constructor && socket.constructor.name})`;
}

/**
 * Node's http server fed by a `tlsImpl` TLS server (tlsImpls.node or .rsnet) on
 * 127.0.0.1, port 0: an https server whose TLS is Node's or rsnet's native one.
 * `conns` holds its TLS sockets in accept order; `handler(req, res, conns)` answers.
 * Resolves once it listens.
 */
async function startHttpsServer(tlsImpl, tlsOptions, handler) {
  const conns = [];
  const httpServer = http.createServer((req, res) => handler(req, res, conns));
  const tlsServer = tlsImpl.createServer(tlsOptions, (socket) => {
    conns.push(socket);
    httpServer.emit('connection', socket);
  });
  await new Promise((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  return {
    httpServer,
    tlsServer,
    conns,
    port: tlsServer.address().port,
    close() {
      httpServer.closeAllConnections();
      tlsServer.close();
    },
  };
}

module.exports = {
  ROOT, impls, RSNET_IS_FALLBACK, once, withTimeout, sha256, randomBytes, SocketTrace, madeBy,
  tlsImpls, tlsMadeBy, startHttpsServer,
};
