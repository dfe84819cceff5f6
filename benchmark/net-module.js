'use strict';
// The module switch shared by every script under test. RSNET_BENCH_MODULE=net
// loads Node's built-in net, =rsnet loads this repository's addon (its driver comes
// from RSNET_DRIVER, which the runner sets). The scripts are otherwise
// byte-for-byte the same code for both, which is the point.
const path = require('node:path');

const name = process.env.RSNET_BENCH_MODULE || 'net';
let net;
if (name === 'net') net = require('net');
else if (name === 'rsnet') net = require('..');
else throw new Error(`RSNET_BENCH_MODULE must be "net" or "rsnet", got ${JSON.stringify(name)}`);

// The rsnet driver this process really runs ("loop" or "threaded"), null for net or
// when the addon cannot tell. Only meaningful once a socket or server exists.
function driver() {
  if (name !== 'rsnet') return null;
  try {
    const binding = require(path.join(__dirname, '..', 'rsnet.node'));
    return typeof binding.driver === 'function' ? binding.driver() || null : null;
  } catch {
    return null;
  }
}

// Which TLS a connection runs: 'rsnet-native' (rustls inside rsnet's stream),
// 'node-over-rsnet' (Node's TLS on an rsnet socket: rsnet's fallback), or 'node'
// (built-in tls, the net case).
function tlsPath(socket) {
  if (name !== 'rsnet') return 'node';
  const { kTls } = require('../lib/tls/socket');
  return socket[kTls] ? 'rsnet-native' : 'node-over-rsnet';
}

module.exports = { net, name, driver, tlsPath };
