'use strict';
// Private state shared between lib/ modules, kept off the public surface.

module.exports = {
  kOwner: Symbol('owner'),
  kHandle: Symbol('handle'),
  kTimeout: Symbol('timeout'),
  kBytesRead: Symbol('bytesRead'),
  kBytesWritten: Symbol('bytesWritten'),
  kSetNoDelay: Symbol('setNoDelay'),
  kSetKeepAlive: Symbol('setKeepAlive'),
  kSetKeepAliveInitialDelay: Symbol('setKeepAliveInitialDelay'),
  kBuffer: Symbol('buffer'),
  kBufferCb: Symbol('bufferCb'),
  kBufferGen: Symbol('bufferGen'),
  kIsPipe: Symbol('isPipe'),
  kLastWriteQueueSize: Symbol('lastWriteQueueSize'),
  kReinitializeHandle: Symbol('reinitializeHandle'),
};
