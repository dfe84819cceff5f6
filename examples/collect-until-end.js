'use strict';
// The classic tutorial server: collect 'data' until 'end', then answer and close.
// Run: node examples/collect-until-end.js
const net = require('..');

const server = net.createServer((socket) => {
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => socket.end(`got ${Buffer.concat(chunks).length} bytes`));
});
server.listen(0, '');
console.log('listening on', server.address());

const client = new net.Socket();
client.connect(server.address().port, 'localhost', () => {
  client.write('x'.repeat(100000));
  client.end();
});
client.on('data', (reply) => console.log(String(reply)));
client.on('close', () => server.close());
