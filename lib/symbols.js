'use strict';
// Private state shared between lib/ modules, kept off the public surface.

// Node's own async_id_symbol. Node's http Agent sets it on the sockets it frees (-1)
// and hands to a new request (the handle's new async id), whatever their class; with
// the same key, those writes land on rsnet's own field, as on a net socket. Node does
// not export it; every net.Socket carries it.
function nodeAsyncIdSymbol() {
  const probe = new (require('node:net').Socket)();
  return Object.getOwnPropertySymbols(probe).find((s) => s.description === 'async_id_symbol') ??
    Symbol('async_id_symbol');
}

// The ones that show on sockets and servers carry Node's own descriptions, so that
// util.inspect() prints an rsnet socket as it prints a net one.
module.exports = {
  kOwner: Symbol('owner_symbol'),
  kAsyncId: nodeAsyncIdSymbol(),
  kHandle: Symbol('kHandle'),
  kTimeout: Symbol('timeout'),
  kBytesRead: Symbol('kBytesRead'),
  kBytesWritten: Symbol('kBytesWritten'),
  kSetNoDelay: Symbol('kSetNoDelay'),
  kSetKeepAlive: Symbol('kSetKeepAlive'),
  kSetKeepAliveInitialDelay: Symbol('kSetKeepAliveInitialDelay'),
  kBuffer: Symbol('kBuffer'),
  kBufferCb: Symbol('kBufferCb'),
  kBufferGen: Symbol('kBufferGen'),
  kIsPipe: Symbol('isPipe'),
  kLastWriteQueueSize: Symbol('lastWriteQueueSize'),
  kReinitializeHandle: Symbol('kReinitializeHandle'),
};
