'use strict';
// rsnet: Node's `net` module on a Rust/Tokio runtime. A drop-in for require('net').
//
// This file is the public surface, shaped like Node 20's lib/net.js exports; the
// implementation lives in lib/ (socket, connect, server) over the native handles.

const builtin = require('node:net');
const dc = require('node:diagnostics_channel');
// NODE_DEBUG=net: the same life-cycle lines as Node's net, in its format.
const { debug } = require('./lib/debug');

const { Socket } = require('./lib/socket');
const { Server, createServerHandle } = require('./lib/server');
const { normalizeArgs } = require('./lib/args');
const defaults = require('./lib/defaults');

const netClientSocketChannel = dc.channel('net.client.socket');

// rsnet's handles show in process.getActiveResourcesInfo() as Node's own do.
require('./lib/active_resources').install();

function createServer(options, connectionListener) {
  return new Server(options, connectionListener);
}

// connect(options[, cb]), connect(path[, cb]) or connect(port[, host][, cb]).
function connect(...args) {
  const normalized = normalizeArgs(args);
  const options = normalized[0];
  debug('createConnection', normalized);
  const socket = new Socket(options);
  if (netClientSocketChannel.hasSubscribers) netClientSocketChannel.publish({ socket });
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket.connect(normalized);
}

let warnedSimultaneousAccepts = false;
// Deprecated no-op outside Windows, kept because old code still calls it.
function _setSimultaneousAccepts() {
  if (!warnedSimultaneousAccepts) {
    process.emitWarning('net._setSimultaneousAccepts() is deprecated and will be removed.',
      'DeprecationWarning', 'DEP0121');
    warnedSimultaneousAccepts = true;
  }
}

module.exports = {
  _createServerHandle: createServerHandle,
  _normalizeArgs: normalizeArgs,
  _setSimultaneousAccepts,
  // Pure data types with no I/O: Node's own classes are the reference, so re-export them.
  get BlockList() { return builtin.BlockList; },
  get SocketAddress() { return builtin.SocketAddress; },
  connect,
  createConnection: connect,
  createServer,
  isIP: builtin.isIP,
  isIPv4: builtin.isIPv4,
  isIPv6: builtin.isIPv6,
  Server,
  Socket,
  Stream: Socket,
  getDefaultAutoSelectFamily: defaults.getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily: defaults.setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout: defaults.getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamilyAttemptTimeout: defaults.setDefaultAutoSelectFamilyAttemptTimeout,
};

// rsnet's TLS (rustls in native code), shaped like Node's tls (also `rsnet/tls`): loaded
// on first use, and not enumerable, so that rsnet's keys stay exactly net's.
Object.defineProperty(module.exports, 'tls', {
  __proto__: null,
  enumerable: false,
  get() { return require('./lib/tls'); },
});
