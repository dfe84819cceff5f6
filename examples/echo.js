'use strict';
// An echo server and a client, with rsnet in place of require('net').
// Run: node examples/echo.js
const net = require('..');

const server = net.createServer((socket) => socket.pipe(socket));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const client = net.connect(port, '127.0.0.1', () => client.end('hello from rsnet'));
  client.setEncoding('utf8');
  client.on('data', (text) => console.log('echoed:', text));
  client.on('close', () => server.close());
});
