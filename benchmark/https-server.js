'use strict';
// HTTPS server under test: Node's http.Server behind TLS, over the module under test.
// Both cases run the same code, `https.createServer({ key, cert }, handler).listen()`:
// with net, Node's OpenSSL over libuv; with rsnet, under rsnet/register with
// RSNET_TLS=native (TLS in rsnet's native code, rustls, and Node's HTTP parser reading
// the plaintext from rsnet's handles, as it reads its own TLSWrap's). Two more rsnet
// cases, by RSNET_BENCH_TLS: `emit`, rsnet.tls's own server handing each secure
// socket to an http.Server with `httpServer.emit('connection', socket)` (the socket's
// Readable and 'data' events, no parser consume); `node`, Node's TLS over rsnet
// sockets (what rsnet/register does without RSNET_TLS=native), for the before/after
// figure. The handler answers every request with --size bytes.
// Its certificate is RSNET_BENCH_TLS_DIR's (tls-cert.js), or one made at start.
// Run with net, it is also the fixed upstream of the https-client mode.
// Usage: RSNET_BENCH_MODULE=net|rsnet node https-server.js [--size 13]
// Prints {"port":P,"pid":N,"module":M,"driver":D} once listening on 127.0.0.1.
const http = require('node:http');
const https = require('node:https');
const { net, name, driver, tlsPath } = require('./net-module');
const { exitWithParent } = require('./lifetime');
const { parseOptions } = require('./cli');
const { Pattern } = require('./pattern');
const { credentials } = require('./tls-cert');

const opt = parseOptions(process.argv.slice(2), { size: 13 });
exitWithParent();

const body = Buffer.from(new Pattern(opt.size).at(0, opt.size));
const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) };
const handler = (req, res) => {
  res.writeHead(200, headers);
  res.end(body);
};

const onError = (err) => {
  console.error(`https-server (${name}): ${err.stack || err}`);
  process.exit(1);
};

// noDelay on both (Node's http.Server's default for its own sockets): small responses
// must not wait for Nagle.
const serverOptions = { ...credentials(), noDelay: true };
let listener;
const variant = process.env.RSNET_BENCH_TLS || 'register';
if (!['register', 'emit', 'node'].includes(variant)) onError(`RSNET_BENCH_TLS=${variant}: register, emit or node`);
const viaRegister = name === 'rsnet' && variant === 'register';
if (viaRegister) {
  process.env.RSNET_TLS = 'native';
  require('../lib/register').install('require');
}
if (name === 'net' || viaRegister) {
  listener = https.createServer(serverOptions, handler);
  listener.on('clientError', (err, socket) => socket.destroy());
} else {
  const httpServer = http.createServer(handler);
  httpServer.on('clientError', (err, socket) => socket.destroy());
  const feed = (socket) => httpServer.emit('connection', socket);
  if (variant === 'node') {
    // Node's tls.Server listening through rsnet: Node's OpenSSL over rsnet sockets.
    listener = require('../lib/register').nodeTlsServerOverRsnet(net, serverOptions, feed);
  } else {
    listener = net.tls.createServer(serverOptions, feed);
  }
}
listener.on('error', onError);
listener.on('tlsClientError', () => {});
// Every connection runs the TLS this variant promises, or the run fails.
const expected = name === 'net' ? 'node' : variant === 'node' ? 'node-over-rsnet' : 'rsnet-native';
listener.on('secureConnection', (socket) => {
  const path = tlsPath(socket);
  if (path !== expected) onError(`a connection runs ${path} TLS, not ${expected}`);
});

listener.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: listener.address().port, pid: process.pid, module: name, driver: driver(), tls: expected })}\n`);
});
