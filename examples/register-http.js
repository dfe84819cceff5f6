'use strict';
// A plain Node http server and client: nothing here mentions rsnet. Run it under the
// preload and Node's http serves and connects through rsnet's sockets:
//   node -r rsnet/register examples/register-http.js
//   RSNET_REGISTER_DEBUG=1 node -r rsnet/register examples/register-http.js  (what was swapped)
const http = require('http');
const net = require('net');

const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ hello: 'world', socket: req.socket.constructor.name }));
});

server.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/' }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { body += chunk; });
    res.on('end', () => {
      console.log('response:', body);
      console.log("require('net') is", net === safeRsnet() ? 'rsnet' : "Node's net");
      server.close();
      server.closeIdleConnections(); // the default agent keeps its socket alive
    });
  });
});

function safeRsnet() {
  try {
    return require('rsnet');
  } catch {
    return null;
  }
}
