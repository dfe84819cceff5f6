'use strict';
// HTTP server under test: Node's own http.Server, whose connections come from the
// module under test. Both modules run the same `http.createServer(handler).listen()`:
// with rsnet, rsnet/register is installed first, as `node -r rsnet/register` does, so
// the server listens through rsnet and its HTTP parser reads rsnet's handles directly
// (lib/parser_consume.js), as it reads a built-in socket's. RSNET_BENCH_HTTP=emit
// instead has an rsnet server hand every socket to the http.Server with
// `httpServer.emit('connection', socket)` (the documented way to feed it sockets from
// elsewhere: 'data' events, no parser consume). The handler answers every request
// with --size bytes (Content-Length, keep-alive).
// Usage: RSNET_BENCH_MODULE=net|rsnet [RSNET_BENCH_HTTP=emit] node http-server.js [--size 13]
// Prints {"port":P,"pid":N,"module":M,"driver":D} once listening on 127.0.0.1.
const { net, name, driver } = require('./net-module');
// Installed before node:http loads, as `-r rsnet/register` would be.
const viaEmit = name === 'rsnet' && process.env.RSNET_BENCH_HTTP === 'emit';
if (name === 'rsnet' && !viaEmit) require('../lib/register').install('require');
const http = require('node:http');
const { exitWithParent } = require('./lifetime');
const { parseOptions } = require('./cli');
const { Pattern } = require('./pattern');

const opt = parseOptions(process.argv.slice(2), { size: 13 });
exitWithParent();

const body = Buffer.from(new Pattern(opt.size).at(0, opt.size));
const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) };

const httpServer = http.createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});

const onError = (err) => {
  console.error(`http-server (${name}): ${err.stack || err}`);
  process.exit(1);
};

// The listening side: Node's http.Server itself, or an rsnet server feeding it.
const listener = viaEmit ? net.createServer((socket) => httpServer.emit('connection', socket)) : httpServer;
listener.on('error', onError);
httpServer.on('clientError', (err, socket) => socket.destroy());

listener.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: listener.address().port, pid: process.pid, module: name, driver: driver() })}\n`);
});
