'use strict';
// The TLS side of the module switch (net-module.js): the scripts use Node's own
// `tls` and `https` in both cases. With RSNET_BENCH_MODULE=rsnet, `rsnet/register`
// is installed first with RSNET_TLS=native, so Node's tls/https servers terminate TLS
// in rsnet's native code (rustls) and tls.connect (so https.Agent) connects natively.
// tlsPath(socket) says which TLS a connection really ran: the scripts report it, and
// fail on a connection that did not run what their module promises.
const { name } = require('./net-module');

if (name === 'rsnet') {
  process.env.RSNET_TLS = 'native';
  require('../lib/register').install('require');
}
// Loaded after install: register patches them when they are first loaded.
const tls = require('node:tls');
const https = require('node:https');

// 'rsnet-native' (rustls inside rsnet's stream), 'node-over-rsnet' (Node's TLS on an
// rsnet socket: rsnet's fallback), or 'node' (built-in tls).
function tlsPath(socket) {
  if (name !== 'rsnet') return 'node';
  const { kTls } = require('../lib/tls/socket');
  return socket[kTls] ? 'rsnet-native' : 'node-over-rsnet';
}

const EXPECTED = name === 'rsnet' ? 'rsnet-native' : 'node';

module.exports = { tls, https, tlsPath, EXPECTED };
