'use strict';
// The module switch shared by every script under test. RSNET_BENCH_MODULE=net
// loads Node's built-in net, =rsnet loads this repository's addon. The scripts
// are otherwise byte-for-byte the same code for both, which is the point.
const name = process.env.RSNET_BENCH_MODULE || 'net';
let net;
if (name === 'net') net = require('net');
else if (name === 'rsnet') net = require('..');
else throw new Error(`RSNET_BENCH_MODULE must be "net" or "rsnet", got ${JSON.stringify(name)}`);

module.exports = { net, name };
