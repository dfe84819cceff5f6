'use strict';
// The async context of native handles. Node runs each handle's callbacks (data, end,
// connect, write completion, 'close', a server's connections) inside the handle's own
// async resource (TCPWRAP, PIPEWRAP, TCPSERVERWRAP, PIPESERVERWRAP), created along
// with the handle. AsyncLocalStorage and async_hooks users (tracing, request-scoped
// logging) thus see a socket's events in the context it was connected in, and a
// server's connections in the context it listened in. rsnet's events all arrive
// through one native callback, so each handle carries an AsyncResource of its own
// and its events run inside it.

const { AsyncResource } = require('node:async_hooks');

const kResource = Symbol('kAsyncResource');

const SOCKET_TYPES = ['TCPWRAP', 'PIPEWRAP'];
const SERVER_TYPES = ['TCPSERVERWRAP', 'PIPESERVERWRAP'];

// Gives `handle` its async resource, in the current async context. Like Node's handle
// wraps, the resource is destroyed (for async_hooks) when the handle is collected.
function initHandleContext(handle, { isPipe = false, isServer = false } = {}) {
  const type = (isServer ? SERVER_TYPES : SOCKET_TYPES)[isPipe ? 1 : 0];
  handle[kResource] = new AsyncResource(type);
}

// The id of `handle`'s async resource (Node's `getNewAsyncId(handle)`).
function handleAsyncId(handle) {
  const resource = handle[kResource];
  return resource === undefined ? -1 : resource.asyncId();
}

// Calls fn(...args) in `handle`'s async context (or the current one if it has none).
function runInHandleContext(handle, fn, ...args) {
  const resource = handle[kResource];
  if (resource === undefined) return fn(...args);
  return resource.runInAsyncScope(fn, null, ...args);
}

module.exports = { initHandleContext, handleAsyncId, runInHandleContext };
