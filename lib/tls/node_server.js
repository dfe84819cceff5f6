'use strict';
// rsnet/register with RSNET_TLS=native: one of Node's own tls/https servers, listening
// through rsnet, terminates TLS in rsnet's native code when everything it was given
// is something rustls can do. What such a server holds is read off the fields Node's
// tls.Server keeps (key, cert, ca, ALPNProtocols, requestCert, ...): anything else
// (pfx, ciphers, SNI contexts, session or OCSP listeners...) keeps Node's TLS.

const { SecureContext, unsupportedReason, alpnList } = require('./context');
const { countAsInstanceOf } = require('../instance_of');

const symbolNamed = (object, description) =>
  Object.getOwnPropertySymbols(object).find((s) => s.description === description);

// Listeners only Node's TLS can serve.
const NODE_ONLY_EVENTS = ['newSession', 'resumeSession', 'OCSPRequest'];

// { options } for secureAccepted(), or { reason } why the server keeps Node's TLS.
function nativeServerOptions(server) {
  if (process.env.RSNET_TLS !== 'native') return { reason: 'RSNET_TLS is not "native"' };
  const sni = symbolNamed(server, 'snicallback');
  if ((sni && server[sni]) || server._contexts?.length > 0) return { reason: 'SNI contexts' };
  for (const event of NODE_ONLY_EVENTS) {
    if (server.listenerCount(event) > 0) return { reason: `a '${event}' listener` };
  }
  const given = {};
  for (const name of ['pfx', 'key', 'passphrase', 'cert', 'ca', 'ciphers', 'ecdhCurve', 'dhparam',
    'minVersion', 'maxVersion', 'secureProtocol', 'crl', 'secureOptions', 'clientCertEngine']) {
    if (server[name] !== undefined) given[name] = server[name];
  }
  const reason = unsupportedReason(given);
  if (reason !== null) return { reason };
  let context;
  try {
    context = new SecureContext(given);
    // Made now, so that what rustls refuses (an RSA key under 2048 bits) keeps
    // Node's TLS instead of failing every handshake.
    context.native(true, alpnList(server.ALPNProtocols), server.requestCert, server.rejectUnauthorized);
  } catch (err) {
    return { reason: `its options (${err.message})` };
  }
  shareTicketKeys(server, context);
  const timeout = symbolNamed(server, 'handshake-timeout');
  return {
    options: {
      context,
      requestCert: server.requestCert,
      rejectUnauthorized: server.rejectUnauthorized,
      ALPNProtocols: server.ALPNProtocols,
      handshakeTimeout: timeout ? server[timeout] : 120_000,
      pauseOnConnect: server.pauseOnConnect,
    },
  };
}

// The server's ticket keys are the native context's from now on: the keys Node's
// context had (random, or the `ticketKeys` option), read and set through the server
// as before (a cluster worker's listen() sets those of the primary this way).
function shareTicketKeys(server, context) {
  context.setTicketKeys(server.getTicketKeys());
  const setNodeKeys = server.setTicketKeys;
  server.getTicketKeys = function getTicketKeys() { return context.getTicketKeys(); };
  server.setTicketKeys = function setTicketKeys(keys) {
    Reflect.apply(setNodeKeys, this, [keys]);
    context.setTicketKeys(keys);
  };
}

// `socket instanceof tls.TLSSocket` holds for rsnet's TLS sockets too, as code checks a
// server's sockets with it.
function countAsNodeTLSSocket(nodeTls) {
  countAsInstanceOf(nodeTls.TLSSocket, require('./socket').TLSSocket);
}

module.exports = { nativeServerOptions, countAsNodeTLSSocket };
