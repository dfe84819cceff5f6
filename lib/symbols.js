'use strict';
// Private state shared between lib/ modules, kept off the public surface.

// The ones that show on sockets and servers carry Node's own descriptions, so that
// util.inspect() prints an rsnet socket as it prints a net one.
module.exports = {
  kOwner: Symbol('owner_symbol'),
  kAsyncId: Symbol('async_id_symbol'),
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
