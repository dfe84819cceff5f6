'use strict';
// A socket's native handle: made (with its async resource), wired to the socket that
// owns it (on creation and on every reconnect), and closed. Apart from lib/socket.js
// so that the modules that make handles for a socket (connect, fd adoption, cluster)
// need not load the Socket class.

const { isUint8Array } = require('node:util').types;

const { SocketHandle, track, untrack } = require('./binding');
const { initHandleContext, handleAsyncId } = require('./async_context');
const { attachStreamCallbacks, failPendingWrites } = require('./stream_io');
const { kOwner, kAsyncId, kBuffer, kBufferGen } = require('./symbols');

// Wires a (new or reused) handle to this socket. Called on creation and on reconnect.
function initSocketHandle(self) {
  self._undestroy();
  self._sockname = null;
  const handle = self._handle;
  if (!handle) return;
  handle[kOwner] = self;
  self[kAsyncId] = handleAsyncId(handle);
  attachStreamCallbacks(handle);
  handle.bytesRead ??= 0;
  handle.bytesWritten ??= 0;
  handle.reading ??= false;
  track(handle);
  // onread with a buffer factory: the first buffer is made when a handle arrives.
  if (self[kBuffer] && self[kBufferGen] !== null) {
    const first = self[kBufferGen]();
    if (isUint8Array(first)) self[kBuffer] = first;
  }
}

function newHandle(isPipe) {
  const handle = new SocketHandle();
  initHandleContext(handle, { isPipe });
  return handle;
}

// Closes a handle now: its fd is released on return.
function closeHandle(handle) {
  untrack(handle);
  handle.close();
  failPendingWrites(handle);
}

module.exports = { initSocketHandle, newHandle, closeHandle };
