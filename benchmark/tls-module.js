'use strict';
// The TLS side of the module switch (net-module.js): the scripts use Node's own
// `tls` and `https` in both cases. With RSNET_BENCH_MODULE=rsnet, `rsnet/register`
// is installed first with RSNET_TLS=native, so Node's tls/https servers terminate TLS
// in rsnet's native code (rustls) and tls.connect (so https.Agent) connects natively.
// tlsPath(socket) (net-module.js) says which TLS a connection really runs: the
// scripts report it, and fail on a connection that does not run EXPECTED.
const { name, tlsPath } = require('./net-module');

if (name === 'rsnet') {
  process.env.RSNET_TLS = 'native';
  require('../lib/register').install('require');
}
// Loaded after install: register patches them when they are first loaded.
const tls = require('node:tls');
const https = require('node:https');

const EXPECTED = name === 'rsnet' ? 'rsnet-native' : 'node';

module.exports = { tls, https, tlsPath, EXPECTED };
