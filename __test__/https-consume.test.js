'use strict';
// Node's https server with TLS in rsnet (`-r rsnet/register`, RSNET_TLS=native), whose
// HTTP parser reads the plaintext straight from rsnet's handle (parser_consume.js), as
// it reads its own TLSWrap's: the same bytes reach a client (Node's tls) as from
// Node's own https server, for pipelined requests, a request body the handler paused,
// an upgrade and a CONNECT that give the socket back to JS (unconsume) with bytes
// already read, and a large response written under backpressure. And each response
// of a keep-alive connection leaves as many TLS records as Node's (one: the header and
// body of a response are one writev, which Node's TLSWrap seals as one record).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { spawn, execFile } = require('node:child_process');

const { RSNET_IS_FALLBACK } = require('./helpers/harness.js');
const { which } = require('../scripts/test-services.js');
const { makeCertificates } = require('./helpers/tls-certs.js');
const { TLS } = require('./helpers/tls-pair.js');

const nodeNet = require('node:net');
const tls = TLS.node;
const FIXTURE = path.join(__dirname, 'fixtures', 'https-consume-server.js');
const REGISTER = path.join(__dirname, '..', 'register.js');
const T = 20_000;

const skip = RSNET_IS_FALLBACK ? 'rsnet is not loaded' : which('openssl') ? false : 'no openssl CLI';
let certs;
const servers = {};
before(async () => {
  if (skip) return;
  certs = makeCertificates();
  servers.net = await start([]);
  servers.rsnet = await start(['-r', REGISTER]);
});
after(() => {
  for (const server of Object.values(servers)) server.child.kill();
  certs?.remove();
});

// The fixture server, with built-in net/tls (preload []) or under rsnet/register.
function start(preload) {
  const child = spawn(process.execPath, [...preload, FIXTURE, path.join(certs.dir, 'server.key'),
    path.join(certs.dir, 'server.pem')], { env: { ...process.env, RSNET_TLS: 'native' }, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fixture did not listen')), T);
    child.stdout.once('data', (d) => {
      clearTimeout(timer);
      resolve({ child, port: JSON.parse(String(d)).port });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited (${code})`)));
  });
}

function bounded(promise, what) {
  let timer;
  return Promise.race([promise, new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${T} ms`)), T);
  })]).finally(() => clearTimeout(timer));
}

// A TLS client connection to `port` and what it read, as a latin1 string.
function connect(port) {
  const socket = tls.connect({ port, host: '127.0.0.1', ca: certs.ca, servername: 'localhost' });
  const conn = { socket, text: '', ended: false, waiters: [] };
  socket.setEncoding('latin1');
  socket.on('data', (d) => {
    conn.text += d;
    conn.waiters = conn.waiters.filter((w) => !w());
  });
  socket.on('end', () => {
    conn.ended = true;
    conn.waiters = conn.waiters.filter((w) => !w());
  });
  socket.on('error', (err) => {
    conn.error = err;
    conn.waiters = conn.waiters.filter((w) => !w());
  });
  return conn;
}

// Resolves once `done(conn)` holds (checked on every read and at the end).
function until(conn, done, what) {
  return bounded(new Promise((resolve, reject) => {
    const check = () => {
      if (conn.error) reject(conn.error);
      else if (done(conn)) resolve(conn.text);
      else if (conn.ended) reject(new Error(`${what}: ended before done, read ${JSON.stringify(conn.text.slice(-300))}`));
      else return false;
      return true;
    };
    if (!check()) conn.waiters.push(check);
  }), what);
}

const ended = (conn) => conn.ended;

// The same scenario against both servers: rsnet's must read what Node's did.
async function parity(scenario) {
  const seen = {};
  for (const name of ['net', 'rsnet']) seen[name] = await scenario(servers[name].port);
  assert.deepEqual(seen.rsnet, seen.net);
  return seen.net;
}

const get = (url, extra = '') => `GET ${url} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

test('the server under rsnet/register runs TLS in rsnet (the check that the others compare rsnet with Node)', { skip }, async () => {
  const handles = {};
  for (const name of ['net', 'rsnet']) {
    const conn = connect(servers[name].port);
    conn.socket.write(get('/handle', 'Connection: close\r\n'));
    handles[name] = (await until(conn, ended, 'GET /handle')).split('\r\n\r\n')[1];
  }
  assert.deepEqual(handles, { net: 'TLSWrap', rsnet: 'SocketHandle' });
});

test('pipelined requests in one write: every response, in order, as from Node', { skip }, async () => {
  const text = await parity(async (port) => {
    const conn = connect(port);
    conn.socket.write(get('/a') + get('/b') + get('/c') + get('/d', 'Connection: close\r\n'));
    return until(conn, ended, 'pipelined');
  });
  assert.match(text, /hello \/a[^]*hello \/b[^]*hello \/c[^]*hello \/d$/, 'TEST BUG: Node did not answer all four');
});

test('a request body the handler paused is read whole once it resumes, as from Node', { skip }, async () => {
  const body = crypto.randomBytes(200_000).toString('latin1');
  const text = await parity(async (port) => {
    const conn = connect(port);
    conn.socket.write(`POST /paused HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n` +
      `Connection: close\r\n\r\n${body}`, 'latin1');
    return until(conn, ended, 'POST /paused');
  });
  const hash = crypto.createHash('sha256').update(Buffer.from(body, 'latin1')).digest('hex');
  assert.ok(text.endsWith(`200000 ${hash} true`), `TEST BUG: Node read ${JSON.stringify(text.slice(-120))}`);
});

for (const [kind, request] of [
  ['an upgrade', get('/echo', 'Connection: Upgrade\r\nUpgrade: echo\r\n')],
  ['a CONNECT', 'CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\n'],
]) {
  test(`${kind} gives the socket back to JS with the bytes read past the request (head), then echoes, as Node`, { skip }, async () => {
    const text = await parity(async (port) => {
      const conn = connect(port);
      conn.socket.write(`${request}early bytes`);
      await until(conn, (c) => c.text.includes('head=early bytes\n'), `${kind}: banner and head`);
      conn.socket.write('later bytes');
      await until(conn, (c) => c.text.includes('later bytes'), `${kind}: echo`);
      conn.socket.end();
      return until(conn, ended, `${kind}: end`);
    });
    assert.match(text, /head=early bytes\nlater bytes$/, 'TEST BUG: Node did not echo');
  });
}

test('a 4 MiB response written under backpressure to a slow reader arrives whole, as from Node', { skip }, async () => {
  const seen = await parity((port) => bounded(new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: certs.ca, servername: 'localhost' });
    const hash = crypto.createHash('sha256');
    let length = 0;
    // The client reads one chunk per turn: the server's writes wait on 'drain'.
    socket.on('data', (chunk) => {
      length += chunk.length;
      hash.update(chunk);
      socket.pause();
      setImmediate(() => socket.resume());
    });
    socket.on('end', () => resolve({ length, hash: hash.digest('hex') }));
    socket.on('error', reject);
    socket.write(get('/large', 'Connection: close\r\n'));
  }), 'GET /large'));
  assert.ok(seen.length > 4 * 1024 * 1024, 'TEST BUG: Node sent less than the body');
});

// Through a plain TCP relay that counts the server's TLS records of application data
// (content type 23: what TLS 1.3 sends after the handshake) as they pass.
function relay(port) {
  const state = { records: 0 };
  const server = nodeNet.createServer((down) => {
    const up = nodeNet.connect(port, '127.0.0.1');
    let pending = Buffer.alloc(0);
    up.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
        if (pending[0] === 23) state.records++;
        pending = pending.subarray(5 + pending.readUInt16BE(3));
      }
      down.write(d);
    });
    down.pipe(up);
    up.on('end', () => down.end());
    up.on('error', () => down.destroy());
    down.on('error', () => up.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, state })));
}

test('each response on a keep-alive connection is one TLS record, as Node seals a writev (header and body) as one', { skip }, async () => {
  const records = await parity(async (port) => {
    const { server, state } = await relay(port);
    try {
      const conn = connect(server.address().port);
      const counts = [];
      for (const url of ['/1', '/2', '/3']) {
        const before = state.records;
        conn.socket.write(get(url));
        await until(conn, (c) => c.text.endsWith(`hello ${url}`), `GET ${url}`);
        counts.push(state.records - before);
      }
      conn.socket.destroy();
      // The first response may share the connection with session tickets.
      return counts.slice(1);
    } finally {
      server.close();
    }
  });
  assert.deepEqual(records, [1, 1], 'TEST BUG: Node sent another number of records');
});

test("the server's TLS sockets all have one V8 shape, as Node's (its http reads them per request: one shape per connection made those reads megamorphic)", { skip }, async () => {
  const fixture = path.join(__dirname, 'fixtures', 'https-socket-shapes.js');
  const run = (preload) => new Promise((resolve, reject) => {
    execFile(process.execPath, ['--allow-natives-syntax', ...preload, fixture, path.join(certs.dir, 'server.key'),
      path.join(certs.dir, 'server.pem')], { env: { ...process.env, RSNET_TLS: 'native' }, timeout: T },
    (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
  });
  const [builtin, rsnet] = await Promise.all([run([]), run(['-r', REGISTER])]);
  assert.deepEqual(builtin, { sockets: 8, maps: 1, fast: true }, 'TEST BUG: Node\'s sockets are not of one shape');
  assert.deepEqual(rsnet, builtin);
});
