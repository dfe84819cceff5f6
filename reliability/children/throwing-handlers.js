'use strict';
// Child for the throwing-handlers part: one handler throws, once, while the error is
// caught by process 'uncaughtException' or by a domain (argv: module where how).
// A client and a server socket (or Node's http on top of them) exchange two echoes
// and close. Prints RESULT {client, server, caught, stalled}: each side's events, what
// was caught, and whether the exchange stalled after the throw (net itself stalls
// where the throw cut a stream's own bookkeeping short; rsnet must stall alike).
const http = require('http');
const domain = require('domain');
const { loadModule, report } = require('../lib/common');
const { record, SOCKET_EVENTS } = require('../lib/recorder');

const [modName, where, how] = process.argv.slice(2);
const net = loadModule(modName);
const logs = { client: [], server: [] };
const caught = [];
// How long the exchange may go on after the throw before it counts as stalled.
const STALL_MS = 3000;
let stallTimer = null;
let server = null;

let thrown = false;
function boom(at) {
  if (thrown || at !== where) return;
  thrown = true;
  throw new Error(`boom-${at}`);
}

function onCaught(err) {
  caught.push(err.message);
  if (!finished) stallTimer ??= setTimeout(finish, STALL_MS, true);
}

let finished = false;
function finish(stalled) {
  if (finished) return;
  finished = true;
  clearTimeout(stallTimer);
  report({ ...logs, caught, stalled });
  if (stalled) process.exit(0);
  server.close();
}

// Plain sockets: the client writes 'a', then 'b' on the echo of 'a', then ends.
function socketExchange() {
  server = net.createServer((c) => {
    record(c, logs.server);
    c.on('data', (d) => c.write(d));
    c.on('end', () => c.end());
    c.on('data', () => boom('server-data'));
    boom('connection');
  });
  server.listen(0, '127.0.0.1', () => {
    const client = net.connect(server.address().port, '127.0.0.1');
    record(client, logs.client);
    client.setEncoding('utf8');
    client.on('connect', () => client.write('a', () => boom('write-callback')));
    client.on('data', (d) => {
      if (d.includes('a')) client.write('b');
      if (d.includes('b')) client.end(() => boom('end-callback'));
    });
    client.on('data', () => boom('data'));
    client.on('data', () => process.nextTick(boom, 'tick-from-data'));
    client.on('data', () => queueMicrotask(() => boom('microtask-from-data')));
    client.on('connect', () => boom('connect'));
    client.on('end', () => boom('end'));
    client.on('finish', () => boom('finish'));
    client.on('close', () => finish(false));
    client.on('close', () => boom('close'));
  });
}

// Node's http over the module's sockets: two requests on one kept-alive connection.
function httpExchange() {
  const httpServer = http.createServer((req, res) => {
    boom('request');
    res.end(`reply ${req.url}`);
  });
  server = net.createServer((socket) => {
    // Not 'data': Node's http reads a built-in socket's handle itself (no 'data'
    // events), an rsnet socket through 'data'.
    record(socket, logs.server, SOCKET_EVENTS.filter((event) => event !== 'data'));
    httpServer.emit('connection', socket);
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agent.createConnection = (...args) => {
    const socket = net.createConnection(...args);
    record(socket, logs.client);
    return socket;
  };
  const get = (path, then) => {
    const req = http.get({ port: server.address().port, host: '127.0.0.1', path, agent }, (res) => {
      res.setEncoding('utf8');
      res.on('data', () => boom('response-data'));
      res.on('end', then);
      res.on('end', () => boom('response-end'));
    });
    req.on('error', (err) => logs.client.push(`request error:${err.code}`));
  };
  server.listen(0, '127.0.0.1', () => get('/1', () => get('/2', () => {
    agent.destroy();
    httpServer.close();
    setImmediate(finish, false);
  })));
}

const run = where.startsWith('request') || where.startsWith('response') ? httpExchange : socketExchange;
if (how === 'domain') {
  const d = domain.create();
  d.on('error', onCaught);
  d.run(run);
} else {
  process.on('uncaughtException', onCaught);
  run();
}
