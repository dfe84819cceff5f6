'use strict';
// The async context of native handles. Node runs each handle's callbacks (data, end,
// connect, write completion, 'close', a server's connections) inside the handle's own
// async resource (TCPWRAP, PIPEWRAP, TCPSERVERWRAP, PIPESERVERWRAP), created along
// with the handle. AsyncLocalStorage and async_hooks users (tracing, request-scoped
// logging) thus see a socket's events in the context it was connected in, and a
// server's connections in the context it listened in. rsnet's events all arrive
// through one native callback, so each handle carries an AsyncResource of its own
// and its events run inside it.

const { AsyncResource, asyncWrapProviders } = require('node:async_hooks');

const kResource = Symbol('kAsyncResource');
const kProviderType = Symbol('kProviderType');

const SOCKET_TYPES = ['TCPWRAP', 'PIPEWRAP'];
const SERVER_TYPES = ['TCPSERVERWRAP', 'PIPESERVERWRAP'];

// Gives `handle` its async resource, in the current async context. Like Node's handle
// wraps, the resource is destroyed (for async_hooks) when the handle is collected.
function initHandleContext(handle, { isPipe = false, isServer = false } = {}) {
  const type = (isServer ? SERVER_TYPES : SOCKET_TYPES)[isPipe ? 1 : 0];
  handle[kProviderType] = type;
  handle[kResource] = new AsyncResource(type);
}

// The id of `handle`'s async resource (Node's `getNewAsyncId(handle)`).
function handleAsyncId(handle) {
  const resource = handle[kResource];
  return resource === undefined ? -1 : resource.asyncId();
}

// Calls fn(a, b, c, d, e) in `handle`'s async context (or the current one if it has
// none).
// A fixed arity, not rest and spread: this runs once per event, and a spread call goes
// through the iterator protocol.
function runInHandleContext(handle, fn, a, b, c, d, e) {
  const resource = handle[kResource];
  if (resource === undefined) return fn(a, b, c, d, e);
  return resource.runInAsyncScope(fn, null, a, b, c, d, e);
}

// The AsyncWrap methods of Node's handles, which Node's own modules call on whatever
// handle a socket has: the http client passes getAsyncId() on when it frees a kept-alive
// socket, and the http Agent, when it hands a free socket to a new request, gives the
// handle a new async id (asyncReset), so that the socket's events from then on run in
// the context of the request that reuses it (as AsyncLocalStorage users expect).
function defineAsyncWrapMethods(HandleClass) {
  const proto = HandleClass.prototype;
  proto.getAsyncId = function getAsyncId() {
    return handleAsyncId(this);
  };
  // The number of the handle's type in async_hooks.asyncWrapProviders (TCPWRAP...).
  proto.getProviderType = function getProviderType() {
    const type = this[kProviderType];
    return type === undefined ? asyncWrapProviders.NONE : asyncWrapProviders[type];
  };
  // A new async id, in the current context: the old one is destroyed for async_hooks.
  // (init hooks see the handle's new AsyncResource, where Node shows them `resource`.)
  proto.asyncReset = function asyncReset(resource) {
    if (resource === null || typeof resource !== 'object') {
      throw new TypeError('asyncReset() needs a resource object');
    }
    const type = this[kProviderType];
    if (type === undefined) return;
    this[kResource]?.emitDestroy();
    this[kResource] = new AsyncResource(type);
  };
}

module.exports = { initHandleContext, handleAsyncId, runInHandleContext, defineAsyncWrapMethods };
