'use strict';
// Shared bits of the real-client tests (__test__/clients/): the two implementations, and
// a per-socket event trace that is comparable between them.
const net = require('node:net');

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

module.exports = { ROOT, impls, RSNET_IS_FALLBACK, once, withTimeout, sha256, randomBytes, SocketTrace, madeBy };
