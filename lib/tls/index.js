'use strict';
// rsnet.tls: Node 20's `tls` API with TLS terminated in native code (rustls). What
// rustls cannot do (TLS 1.0/1.1, pfx, OpenSSL cipher strings, a secureContext made by
// node:tls, ...; see context.js) falls back to Node's own TLS over an rsnet socket,
// and NODE_DEBUG=rsnet says which path each server and connection took, and why.

const nodeTls = require('node:tls');
const net = require('../../index');
const { normalizeArgs } = require('../args');
const { TLSSocket } = require('./socket');
const { Server: NativeServer } = require('./server');
const { SecureContext, createSecureContext, clientContext, unsupportedReason } = require('./context');
const { debug } = require('./debug');

// Node's argument forms: (options[, cb]), (port[, host][, options][, cb]).
function normalizeConnectArgs(listArgs) {
  const args = normalizeArgs(listArgs);
  const options = args[0];
  if (listArgs[1] !== null && typeof listArgs[1] === 'object') Object.assign(options, listArgs[1]);
  else if (listArgs[2] !== null && typeof listArgs[2] === 'object') Object.assign(options, listArgs[2]);
  return [options, args[1]];
}

// As Node's tls.connect: NODE_TLS_REJECT_UNAUTHORIZED=0 turns verification off by
// default, and says so once per process, whatever the call's own options.
let warnedAllowUnauthorized = false;
function allowUnauthorized() {
  const allow = process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0';
  if (allow && !warnedAllowUnauthorized) {
    warnedAllowUnauthorized = true;
    process.emitWarning('Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to \'0\' ' +
      'makes TLS connections and HTTPS requests insecure by disabling certificate verification.');
  }
  return allow;
}

// As Node's tls.connect (DEP0123), once per process. (Node's own connect, which the
// fallback runs, warns by itself.)
let warnedIpServername = false;
function warnIfIpServername(servername) {
  if (!servername || warnedIpServername || net.isIP(servername) === 0) return;
  warnedIpServername = true;
  process.emitWarning('Setting the TLS ServerName to an IP address is not permitted by RFC 6066. ' +
    'This will be ignored in a future version.', 'DeprecationWarning', 'DEP0123');
}

function connect(...args) {
  const [given, cb] = normalizeConnectArgs(args);
  const options = {
    rejectUnauthorized: !allowUnauthorized(),
    checkServerIdentity: nodeTls.checkServerIdentity,
    ...given,
  };
  options.checkServerIdentity ??= nodeTls.checkServerIdentity;
  const reason = unsupportedReason(options);
  if (reason !== null) {
    debug('tls.connect: Node\'s TLS over an rsnet socket (%s)', reason);
    return fallbackConnect(options, cb);
  }
  // Made now, as Node's tls.connect makes its context: bad credentials (a wrong
  // passphrase...) throw from connect() with Node's error.
  const secureContext = clientContext(options);
  debug('tls.connect: native TLS (rustls)');
  warnIfIpServername(options.servername);
  const socket = new TLSSocket(null, { ...options, secureContext, isServer: false });
  if (cb) socket.once('secureConnect', cb);
  if (options.timeout) socket.setTimeout(options.timeout);
  socket.connect(options);
  return socket;
}

// Node's TLS over an rsnet socket, as rsnet/register did before native TLS.
function fallbackConnect(options, cb) {
  require('../register').nodeTlsOverRsnet(net);
  const raw = net.connect(pick(options, ['host', 'port', 'path', 'localAddress', 'localPort', 'family',
    'hints', 'lookup', 'autoSelectFamily', 'autoSelectFamilyAttemptTimeout', 'noDelay', 'keepAlive',
    'keepAliveInitialDelay', 'timeout']));
  let socket;
  try {
    socket = nodeTls.connect({ ...options, socket: options.socket ?? raw }, cb);
  } catch (err) {
    // Node's TLS refused an option: the connection it would have run over goes too.
    raw.destroy();
    throw err;
  }
  socket.once('close', () => raw.destroy());
  return socket;
}

function pick(options, names) {
  const out = {};
  for (const name of names) if (options[name] !== undefined) out[name] = options[name];
  return out;
}

// A server whose options rustls cannot honour is Node's tls.Server listening through
// rsnet (what rsnet/register does), so its sockets are Node's TLS over rsnet sockets.
function createServer(options, listener) {
  let reason = options !== null && typeof options === 'object' ? unsupportedReason(options) : null;
  if (reason === null) {
    try {
      return new NativeServer(options, listener);
    } catch (err) {
      if (!err.rustlsRefused) throw err;
      reason = `rustls refused the credentials: ${err.message}`;
    }
  }
  debug('tls.createServer: Node\'s TLS over rsnet sockets (%s)', reason);
  return require('../register').nodeTlsServerOverRsnet(net, options, listener);
}

module.exports = {
  CLIENT_RENEG_LIMIT: nodeTls.CLIENT_RENEG_LIMIT,
  CLIENT_RENEG_WINDOW: nodeTls.CLIENT_RENEG_WINDOW,
  get DEFAULT_CIPHERS() { return nodeTls.DEFAULT_CIPHERS; },
  get DEFAULT_ECDH_CURVE() { return nodeTls.DEFAULT_ECDH_CURVE; },
  get DEFAULT_MIN_VERSION() { return nodeTls.DEFAULT_MIN_VERSION; },
  set DEFAULT_MIN_VERSION(v) { nodeTls.DEFAULT_MIN_VERSION = v; },
  get DEFAULT_MAX_VERSION() { return nodeTls.DEFAULT_MAX_VERSION; },
  set DEFAULT_MAX_VERSION(v) { nodeTls.DEFAULT_MAX_VERSION = v; },
  getCiphers: nodeTls.getCiphers,
  get rootCertificates() { return nodeTls.rootCertificates; },
  convertALPNProtocols: nodeTls.convertALPNProtocols,
  checkServerIdentity: nodeTls.checkServerIdentity,
  createSecureContext,
  SecureContext,
  TLSSocket,
  Server: NativeServer,
  createServer,
  connect,
};
