'use strict';
// `rsnet/register` for Node's http2.connect(). Node's http2 opens a client's connection
// with the net and tls it required through its internal loader, out of reach of
// Module._load; what it does let a caller choose is `options.createConnection`. So
// register's http2.connect hands Node's own connect() a createConnection that opens
// what Node would, on rsnet: for `http:` an rsnet socket with the same options
// (net.connect({ port, host, ...options }), connectPlain), for `https:` TLS with Node's ALPN and
// servername defaults (its initializeTLSOptions, and its check of `settings`) over an
// rsnet socket (connectTLS, see register.js's hookHttp2). Node's connect() does
// everything else, its argument checks first, unchanged. A createConnection the
// caller passed is kept.
//
// Node's http2 runs a session over a socket without a native stream handle through its
// JS stream wrapper (JSStreamSocket); for `http:` register hands it one already, which
// says it is connecting until the rsnet socket has connected (see register.js).

const { promisify } = require('node:util');
const { codes } = require('./errors');

const kHooked = Symbol('rsnet.http2ConnectHooked');

// hookHttp2Connect(http2, { connect, connectTLS, isIP }, debug): connect(options) and
// connectTLS(options) return a socket, a TLS socket, over rsnet.
function hookHttp2Connect(http2, { connect: connectPlain, connectTLS, isIP }, debug) {
  const nodeConnect = http2.connect;
  if (nodeConnect[kHooked]) return;

  function connect(authority, options, listener) {
    if (typeof options === 'function') {
      listener = options;
      options = undefined;
    }
    // Anything but an options object without createConnection goes to Node as it is:
    // its errors for bad options, and the caller's own createConnection.
    if (options !== undefined && (options === null || typeof options !== 'object' ||
        typeof options.createConnection === 'function')) {
      return Reflect.apply(nodeConnect, this, [authority, options, listener]);
    }
    const withRsnet = { ...options, createConnection: (url, opts) => createConnection(url, opts) };
    return Reflect.apply(nodeConnect, this, [authority, withRsnet, listener]);
  }

  // Node's own choice, given the URL it parsed and its copy of the options.
  function createConnection(authority, options) {
    const { createConnection: _ours, ...rest } = options;
    const protocol = authority.protocol || rest.protocol || 'https:';
    const port = `${authority.port !== '' ? authority.port : (authority.protocol === 'http:' ? 80 : 443)}`;
    const host = hostOf(authority);
    switch (protocol) {
      case 'http:':
        debug('http2.connect: %s:%s over rsnet.connect', host, port);
        return connectPlain({ port, host, ...rest });
      case 'https:':
        debug('http2.connect: %s:%s over TLS on rsnet', host, port);
        return connectTLS({ ...tlsOptions(rest, isIP(host) ? undefined : host), port, host });
      default:
        throw new codes.ERR_HTTP2_UNSUPPORTED_PROTOCOL(protocol);
    }
  }

  Object.defineProperty(connect, 'length', { __proto__: null, value: nodeConnect.length });
  // util.promisify(http2.connect), as Node's: the session once it says 'connect'.
  Object.defineProperty(connect, promisify.custom, {
    __proto__: null,
    value: (authority, options) => new Promise((resolve, reject) => {
      const session = connect(authority, options, () => {
        session.removeListener('error', reject);
        resolve(session);
      });
      session.once('error', reject);
    }),
  });
  Object.defineProperty(connect, kHooked, { __proto__: null, value: true });
  http2.connect = connect;
  debug('register: http2.connect -> connections over rsnet (options.createConnection)');
}

function hostOf(authority) {
  if (authority.hostname) {
    const host = authority.hostname;
    return host[0] === '[' ? host.slice(1, -1) : host;
  }
  return authority.host || 'localhost';
}

// What Node's http2 gives tls.connect: ALPN h2 (and http/1.1 with allowHTTP1), the
// host as servername unless one was given or the host is an IP address, half-open.
function tlsOptions(options, servername) {
  const { settings } = options;
  if (settings !== undefined && (settings === null || typeof settings !== 'object' || Array.isArray(settings))) {
    throw new codes.ERR_INVALID_ARG_TYPE('options.settings', 'Object', settings);
  }
  const out = { ...options, allowHalfOpen: true, settings: { ...options.settings } };
  out.ALPNProtocols = options.allowHTTP1 === true ? ['h2', 'http/1.1'] : ['h2'];
  if (servername !== undefined && out.servername === undefined) out.servername = servername;
  return out;
}

module.exports = { hookHttp2Connect };
