'use strict';
// rsnet/register with RSNET_TLS=native: Node's tls.connect(), and so https.request()
// and https.Agent (whose createConnection calls tls.connect), connect through rsnet's
// native TLS (rsnet.tls.connect) when rustls can do what the options ask, else Node's
// TLS over an rsnet socket (rsnet.tls's fallback); NODE_DEBUG=rsnet says which and
// why. A connection over a socket the caller gives stays Node's: rustls cannot run
// over another stream.

const { countAsNodeTLSSocket } = require('./node_server');

let routed = false;

// `rsnetTls` is rsnet.tls (lib/tls/index.js), handed in by register.js.
function routeNodeTlsClients(nodeTls, rsnetTls) {
  if (routed) return;
  routed = true;
  const nodeConnect = nodeTls.connect;
  nodeTls.connect = function connect(...args) {
    if (givesSocket(args)) return Reflect.apply(nodeConnect, this, args);
    return rsnetTls.connect(...args);
  };
  countAsNodeTLSSocket(nodeTls);
}

// tls.connect's options are its first or (after port and host) a later argument.
function givesSocket(args) {
  return args.some((arg) => arg !== null && typeof arg === 'object' && arg.socket != null);
}

module.exports = { routeNodeTlsClients };
