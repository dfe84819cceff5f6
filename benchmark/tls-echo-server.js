'use strict';
// A TLS echo server, the same code for both modules: `tls.createServer({ key, cert })`
// echoing with backpressure, as echo-server.js does over plain TCP. With net it is
// Node's OpenSSL over libuv; with rsnet, under rsnet/register with RSNET_TLS=native
// (tls-module.js), rustls inside rsnet's stream. It is the server under test of the
// tls-stream mode and, run with net, the fixed peer of tls-client-handshake.
// Every connection is checked to run the TLS its module promises: one that does not
// (rsnet falling back to Node's TLS) ends the process with an error.
// Usage: RSNET_BENCH_MODULE=net|rsnet [RSNET_BENCH_TLS_DIR=dir] node tls-echo-server.js
// Prints {"port":P,"pid":N,"module":M,"driver":D,"tls":T} once listening on 127.0.0.1.
const { name, driver } = require('./net-module');
const { tls, tlsPath, EXPECTED } = require('./tls-module');
const { credentials } = require('./tls-cert');
const { exitWithParent } = require('./lifetime');

exitWithParent();

const onError = (err) => {
  console.error(`tls-echo-server (${name}): ${err.stack || err}`);
  process.exit(1);
};

const server = tls.createServer(credentials(), (socket) => {
  const path = tlsPath(socket);
  if (path !== EXPECTED) onError(`a connection runs ${path} TLS, not ${EXPECTED}`);
  socket.on('data', (d) => {
    if (!socket.write(d)) socket.pause();
  });
  socket.on('drain', () => socket.resume());
  // Peers may reset connections; an echo server just drops them.
  socket.on('error', () => socket.destroy());
});
server.on('tlsClientError', () => {});
server.on('error', onError);

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid, module: name, driver: driver(), tls: EXPECTED })}\n`);
});
