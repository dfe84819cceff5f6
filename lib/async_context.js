'use strict';
// The async context of native handles. Node runs each handle's callbacks (data, end,
// connect, write completion, 'close', a server's connections) inside the handle's own
// async resource (TCPWRAP, PIPEWRAP, TCPSERVERWRAP, PIPESERVERWRAP), created along
// with the handle. AsyncLocalStorage and async_hooks users (tracing, request-scoped
// logging) thus see a socket's events in the context it was connected in, and a
// server's connections in the context it listened in. rsnet's events all arrive
// through one native callback, so each handle carries an AsyncResource of its own
// and its events run inside it.
//
// Memory: every connection has one, so it is kept small. The resource also carries the
// handle's provider type (a handle property fewer), and whether the handle is a pipe
// is read from that type rather than kept on the handle.

const { AsyncResource, asyncWrapProviders } = require('node:async_hooks');

const { kIsPipe } = require('./symbols');

const kResource = Symbol('kAsyncResource');

const SOCKET_TYPES = ['TCPWRAP', 'PIPEWRAP'];
const SERVER_TYPES = ['TCPSERVERWRAP', 'PIPESERVERWRAP'];
const PIPE_TYPES = new Set(['PIPEWRAP', 'PIPESERVERWRAP']);

// Node keeps an AsyncResource's ids under its own (private) symbols, found on one.
const probe = Object.getOwnPropertySymbols(new AsyncResource('NONE', { requireManualDestroy: true }));
const idKey = (description) => probe.find((symbol) => symbol.description === description);
const kAsyncIdKey = idKey('async_id_symbol');
const kTriggerIdKey = idKey('trigger_async_id_symbol');

// An AsyncResource that also carries its handle's provider type, and keeps its ids as
// small integers. Node makes every id a double (its counter is a Float64Array), which
// V8 keeps in a 16-byte box of its own per field; a handle's resource lives as long as
// its connection, so its ids go through accessors that store them as small integers
// (in the object itself) whenever they are.
class HandleResource extends AsyncResource {
  constructor(type) {
    super(type);
    this.providerType = type;
  }
}

function smallInteger(id) {
  const small = id | 0;
  return small === id ? small : id;
}

if (kAsyncIdKey !== undefined && kTriggerIdKey !== undefined) {
  Object.defineProperties(HandleResource.prototype, {
    [kAsyncIdKey]: {
      __proto__: null,
      get() { return this.asyncIdValue; },
      set(id) { this.asyncIdValue = smallInteger(id); },
    },
    [kTriggerIdKey]: {
      __proto__: null,
      get() { return this.triggerIdValue; },
      set(id) { this.triggerIdValue = smallInteger(id); },
    },
  });
}

// Gives `handle` its async resource, in the current async context. Like Node's handle
// wraps, the resource is destroyed (for async_hooks) when the handle is collected.
function initHandleContext(handle, { isPipe = false, isServer = false } = {}) {
  const type = (isServer ? SERVER_TYPES : SOCKET_TYPES)[isPipe ? 1 : 0];
  handle[kResource] = new HandleResource(type);
}

// The id of `handle`'s async resource (Node's `getNewAsyncId(handle)`), as a small
// integer where it is one (as Node's handles answer): a socket stores it in place
// then, not as a boxed double.
function handleAsyncId(handle) {
  const resource = handle[kResource];
  if (resource === undefined) return -1;
  return smallInteger(resource.asyncId());
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
// And `handle[kIsPipe]`, read from the provider type; setting it changes the type (and
// gives a handle that has no resource yet its resource).
function defineAsyncWrapMethods(HandleClass, { isServer = false } = {}) {
  const proto = HandleClass.prototype;
  proto.getAsyncId = function getAsyncId() {
    return handleAsyncId(this);
  };
  // The number of the handle's type in async_hooks.asyncWrapProviders (TCPWRAP...).
  proto.getProviderType = function getProviderType() {
    const resource = this[kResource];
    return resource === undefined ? asyncWrapProviders.NONE : asyncWrapProviders[resource.providerType];
  };
  // A new async id, in the current context: the old one is destroyed for async_hooks.
  // (init hooks see the handle's new AsyncResource, where Node shows them `resource`.)
  proto.asyncReset = function asyncReset(resource) {
    if (resource === null || typeof resource !== 'object') {
      throw new TypeError('asyncReset() needs a resource object');
    }
    const current = this[kResource];
    if (current === undefined) return;
    current.emitDestroy();
    this[kResource] = new HandleResource(current.providerType);
  };
  Object.defineProperty(proto, kIsPipe, {
    __proto__: null,
    configurable: true,
    get() {
      const resource = this[kResource];
      return resource !== undefined && PIPE_TYPES.has(resource.providerType);
    },
    set(isPipe) {
      const resource = this[kResource];
      if (resource === undefined) {
        initHandleContext(this, { isPipe: Boolean(isPipe), isServer });
      } else if (PIPE_TYPES.has(resource.providerType) !== Boolean(isPipe)) {
        resource.providerType = (isServer ? SERVER_TYPES : SOCKET_TYPES)[isPipe ? 1 : 0];
      }
    },
  });
}

module.exports = { initHandleContext, handleAsyncId, runInHandleContext, defineAsyncWrapMethods };
