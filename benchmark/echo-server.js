'use strict';
// The server under test: a plain echo server, written the way a Node user would
// write one (echo with backpressure: pause when write() says the buffer is full,
// resume on 'drain'). Run with RSNET_BENCH_MODULE=net or =rsnet.
// Prints {"port":P,"pid":N,"module":M,"driver":D} once listening on 127.0.0.1.
const { net, name, driver } = require('./net-module');
const { exitWithParent } = require('./lifetime');

exitWithParent();

const server = net.createServer((socket) => {
  socket.on('data', (d) => {
    if (!socket.write(d)) socket.pause();
  });
  socket.on('drain', () => socket.resume());
  // Peers may reset connections; an echo server just drops them.
  socket.on('error', () => socket.destroy());
});

server.on('error', (err) => {
  console.error(`echo-server (${name}): ${err.stack || err}`);
  process.exit(1);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid, module: name, driver: driver() })}\n`);
});
