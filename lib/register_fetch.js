'use strict';
// `rsnet/register` for Node's global fetch(). Node's bundled undici opens its
// connections with Node's own net and tls, which it requires through the internal
// loader, out of reach of Module._load. What it does let a program choose is its
// dispatcher: undici keeps the one fetch() uses under a global symbol, and the Agent
// there takes a `connect` function. The Agent class itself is not exported by Node, so
// the first fetch() has undici make its default Agent (a `data:` fetch, which opens
// no connection), and its class then makes the one rsnet installs: an Agent like it
// whose connections are rsnet's sockets (with Node's TLS over them for https).
//
// A dispatcher the program set itself (undici's setGlobalDispatcher, which writes the
// same symbol) is left alone, as is a fetch() given `dispatcher` in its init.

const kGlobalDispatcher = Symbol.for('undici.globalDispatcher.1');

// undici's defaults for the connections of its Agent (its buildConnector).
const CONNECT_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_DELAY_MS = 60_000;

// hookFetch(rsnet, connectTLS, debug): connectTLS(options) lays TLS over an rsnet
// socket as register's https agent does, and returns the TLS socket.
function hookFetch(rsnet, connectTLS, debug) {
  const nodeFetch = globalThis.fetch;
  if (typeof nodeFetch !== 'function') return;
  let setup = null;

  function ensureDispatcher() {
    setup ??= installDispatcher(nodeFetch, (options, callback) =>
      connectForUndici(rsnet, connectTLS, options, callback), debug);
    return setup;
  }

  // Same name and length as Node's; after the first call it only forwards.
  function fetch(input, init = undefined) {
    if (setup !== null && setup.done) return nodeFetch(input, init);
    return ensureDispatcher().then(() => nodeFetch(input, init));
  }
  globalThis.fetch = fetch;
  debug('register: fetch() -> an undici Agent whose connections are rsnet sockets');
}

// Makes rsnet's Agent the global dispatcher, unless the program already set one.
function installDispatcher(nodeFetch, connect, debug) {
  const state = (async () => {
    if (globalThis[kGlobalDispatcher] !== undefined) {
      debug('register: fetch() keeps the dispatcher the program set');
      return;
    }
    // Any fetch() makes undici's default Agent; a data: URL opens no connection.
    await (await nodeFetch('data:,')).arrayBuffer();
    const initial = globalThis[kGlobalDispatcher];
    if (initial === undefined || typeof initial.constructor !== 'function') return;
    const Agent = initial.constructor;
    globalThis[kGlobalDispatcher] = new Agent({ connect });
    initial.close().catch(() => {});
  })().catch((err) => {
    debug('register: fetch() stays on Node\'s connections (%s)', err?.message);
  }).finally(() => {
    state.done = true;
  });
  state.done = false;
  return state;
}

// undici's connector contract: callback(err) or callback(null, socket) once the
// socket is connected (TLS: handshake done). `options`: hostname, host, port,
// protocol ('http:' or 'https:'), servername, localAddress, httpSocket (a proxy's
// CONNECT tunnel to lay TLS over).
function connectForUndici(rsnet, connectTLS, options, callback) {
  const { hostname, protocol, servername, localAddress, httpSocket } = options;
  const port = Number(options.port) || (protocol === 'https:' ? 443 : 80);
  let socket;
  try {
    if (protocol === 'https:') {
      const tlsOptions = {
        host: hostname,
        port,
        servername: servername ?? undefined,
        localAddress: localAddress ?? undefined,
        ALPNProtocols: ['http/1.1'],
      };
      socket = httpSocket ? connectTLS({ ...tlsOptions, socket: httpSocket }) : connectTLS(tlsOptions);
    } else {
      socket = rsnet.connect({ host: hostname, port, localAddress: localAddress ?? undefined });
    }
  } catch (err) {
    callback(err);
    return;
  }
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  const ready = protocol === 'https:' ? 'secureConnect' : 'connect';
  const timer = setTimeout(() => socket.destroy(connectTimeoutError(hostname, port)), CONNECT_TIMEOUT_MS);
  function settle(err) {
    clearTimeout(timer);
    socket.removeListener(ready, onReady);
    socket.removeListener('error', settle);
    callback(err ?? null, err ? undefined : socket);
  }
  function onReady() {
    settle(null);
  }
  socket.once(ready, onReady);
  socket.once('error', settle);
}

// undici's ConnectTimeoutError, by its name, code and message (the class is not ours
// to construct); fetch() rejects with a TypeError whose cause is this.
function connectTimeoutError(hostname, port) {
  const err = new Error(`Connect Timeout Error (attempted address: ${hostname}:${port}, timeout: ${CONNECT_TIMEOUT_MS}ms)`);
  err.name = 'ConnectTimeoutError';
  err.code = 'UND_ERR_CONNECT_TIMEOUT';
  return err;
}

module.exports = { hookFetch };
