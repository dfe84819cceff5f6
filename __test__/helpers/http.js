'use strict';
// The http side of clients/http.test.js and its keep-alive child: an http.Server fed by
// an `impl` server, a request helper that sums up a response, and server-side traces.
const http = require('node:http');

const { withTimeout, sha256, SocketTrace, madeBy } = require('./clients.js');

const T = 15_000;

function handler(req, res) {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const block = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 32; i++) res.write(block); // 2 MiB, chunked
      return res.end();
    }
    res.setHeader('x-body-sha', sha256(body).slice(0, 16));
    res.end(`${req.method} ${req.url} ${body.length} ${req.headers.connection || '-'}`);
  });
}

/** An http.Server fed by an `impl` server; resolves { port, traces, close() }. */
async function feed(impl) {
  const httpServer = http.createServer(handler);
  const traces = [];
  const server = impl.createServer((socket) => {
    traces.push(new SocketTrace(socket, `server ${traces.length}`));
    httpServer.emit('connection', socket);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    traces,
    madeBy: () => traces.map((t) => madeBy(t.socket)),
    async close() {
      httpServer.closeAllConnections();
      await withTimeout(Promise.all(traces.map((t) => t.closed)), T, 'server sockets closed');
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function request(opts, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          sha: res.headers['x-body-sha'] || null,
          chunked: res.headers['transfer-encoding'] || null,
          connection: res.headers.connection,
          reused: req.reusedSocket,
          body: b.length > 200 ? `${b.length} bytes ${sha256(b).slice(0, 16)}` : b.toString(),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const serverEvents = (t) => ({ label: t.label, events: t.events.filter((e) => e !== 'data') });

module.exports = { handler, feed, request, serverEvents };
