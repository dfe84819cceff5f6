'use strict';
// rsnet/register: real programs (fixtures/register/), written for Node's own modules,
// run unchanged in child processes with `-r rsnet/register` or `--import
// rsnet/register`, under each driver. Each run proves rsnet's sockets carried the
// traffic (an `instanceof require('rsnet').Socket` marker), and where it makes sense
// the same program runs without the preload and must report the same results.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const FIX = path.join(__dirname, 'fixtures', 'register');
// Both drivers, or the one of this `npm test` run.
const { DRIVERS } = require('./helpers/harness');
const REQUIRE = ['-r', 'rsnet/register'];
const IMPORT = ['--import', 'rsnet/register'];

// Runs `node ...flags fixture ...args` from the package root (so `rsnet/register`
// resolves through the package's own exports map); SIGKILL at the deadline.
function run(flags, fixture, { args = [], env = {}, deadline = 20000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, path.join(FIX, fixture), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_DEBUG: '', RSNET_REGISTER_DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, deadline);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

// The fixture's one JSON line; fails with the child's output when it did not exit cleanly.
function result(r, what) {
  assert.equal(r.timedOut, false, `${what}: did not exit by itself\n${r.stderr}`);
  assert.equal(r.code, 0, `${what}: exit ${r.code} ${r.signal}\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop();
  return JSON.parse(line);
}

function noWarning(r, what) {
  assert.doesNotMatch(r.stderr, /Warning/, `${what}: unexpected warning\n${r.stderr}`);
}

let certs = null;
// A self-signed certificate for 127.0.0.1, made with the openssl CLI at test time.
function selfSigned() {
  if (certs) return certs;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-register-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
    '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'],
  { encoding: 'utf8' });
  assert.ok(!r.error && r.status === 0,
    `the openssl CLI is needed to make a test certificate: ${r.error?.message || r.stderr}`);
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  certs = [key, cert];
  return certs;
}

for (const driver of DRIVERS) {
  const env = { RSNET_DRIVER: driver };

  test(`[${driver}] Express app (JSON, static file, streamed upload) under -r rsnet/register`, async () => {
    const swapped = result(await run(REQUIRE, 'express-app.js', { env }), 'express under register');
    const plain = result(await run([], 'express-app.js', { env }), 'express without register');
    assert.deepEqual(swapped.served, [true, true, true], 'every request was served on an rsnet socket');
    assert.deepEqual(plain.served, [false, false, false]);
    for (const key of ['json', 'file', 'upload']) {
      assert.equal(swapped[key].client, true, `${key}: the default agent connected with rsnet`);
      assert.equal(plain[key].client, false);
      assert.deepEqual({ ...swapped[key], client: null }, { ...plain[key], client: null }, key);
    }
    assert.deepEqual(JSON.parse(swapped.json.body), { hello: 'world', n: 42 });
    assert.equal(swapped.file.body, 'static hello from rsnet\n');
    assert.equal(swapped.upload.body.bytes, 64 * 65536);
    assert.equal(swapped.upload.body.sha256, swapped.expectedSha256);
    assert.equal(swapped.file.reused, true, 'keep-alive: the agent reused its socket');
  });

  test(`[${driver}] http.Server life cycle is the same with and without the preload`, async () => {
    const swapped = result(await run(REQUIRE, 'http-lifecycle.js', { env }), 'lifecycle under register');
    const plain = result(await run([], 'http-lifecycle.js', { env }), 'lifecycle without register');
    assert.equal(swapped.rsnetSockets, 2, 'both connections were rsnet sockets');
    assert.equal(plain.rsnetSockets, 0);
    assert.deepEqual(swapped.log, plain.log);
    assert.ok(plain.log.includes('headersTimeout: HTTP/1.1 408 Request Timeout'), plain.log.join('\n'));
  });

  test(`[${driver}] http.Server edge cases (pipe, EADDRINUSE, signal, maxConnections) as without it`, async () => {
    const swapped = result(await run(REQUIRE, 'http-edges.js', { env }), 'edges under register');
    const plain = result(await run([], 'http-edges.js', { env }), 'edges without register');
    assert.equal(swapped.rsnetSockets, 2);
    assert.equal(plain.rsnetSockets, 0);
    assert.deepEqual(swapped.lines, plain.lines);
    assert.equal(plain.lines.length, 10, plain.lines.join('\n'));
  });

  test(`[${driver}] HTTPS server and https.get through the default agent`, async () => {
    const args = selfSigned();
    const swapped = result(await run(REQUIRE, 'https-app.js', { env, args }), 'https under register');
    const plain = result(await run([], 'https-app.js', { env, args }), 'https without register');
    assert.equal(swapped.serverRaw, true, 'the https server accepted an rsnet socket');
    assert.equal(swapped.clientRaw, true, 'the https agent laid TLS over an rsnet socket');
    assert.equal(plain.serverRaw, false);
    assert.equal(plain.clientRaw, false);
    const strip = ({ serverRaw, clientRaw, ...rest }) => rest;
    assert.deepEqual(strip(swapped), strip(plain));
    assert.equal(plain.client.remoteAddress, '127.0.0.1');
    assert.equal(plain.connectEvent, true);
  });

  test(`[${driver}] RSNET_TLS=native: Node's https and tls clients go through rsnet's native TLS`, async () => {
    const [key, cert] = selfSigned();
    const server = spawn(process.execPath, [path.join(FIX, 'https-server.js'), key, cert],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const port = await new Promise((resolve, reject) => {
        server.stdout.once('data', (d) => resolve(String(d).trim()));
        server.once('exit', (code) => reject(new Error(`https-server.js exited (${code})`)));
      });
      const args = [port, cert];
      const nativeEnv = { ...env, RSNET_TLS: 'native', NODE_DEBUG: 'rsnet' };
      const r = await run(REQUIRE, 'https-client-app.js', { env: nativeEnv, args });
      const swapped = result(r, 'https client under register, RSNET_TLS=native');
      const plain = result(await run([], 'https-client-app.js', { env: nativeEnv, args }), 'https client without');
      assert.equal(swapped.rsnetSockets, 5, 'every connection was an rsnet socket');
      assert.equal(plain.rsnetSockets, 0);
      const native = r.stderr.match(/tls\.connect: native TLS \(rustls\)/g) || [];
      assert.equal(native.length, 5, `every connection went native:\n${r.stderr}`);
      assert.deepEqual(swapped, { ...plain, rsnetSockets: 5 });
      // What Node's own run saw: the agent's second request resumed the first's session.
      assert.deepEqual(plain.requests.map((q) => [q.reused, q.body.reused]), [[false, false], [true, true]]);
      assert.deepEqual(plain.connects.map((c) => c.reused), [false, true, undefined]);
    } finally {
      server.stdin.end();
    }
  });

  test(`[${driver}] RSNET_TLS=native: a tls server with a 'keylog' listener and shared ticket keys`, async () => {
    const nativeEnv = { ...env, RSNET_TLS: 'native', NODE_DEBUG: 'rsnet' };
    const r = await run(REQUIRE, 'tls-server-features.js', { env: nativeEnv, args: selfSigned() });
    const swapped = result(r, 'tls servers under register, RSNET_TLS=native');
    const plain = result(await run([], 'tls-server-features.js', { env: nativeEnv, args: selfSigned() }),
      'tls servers without register');
    const native = r.stderr.match(/listen: \w*Server: TLS in rsnet \(rustls\)/g) || [];
    assert.equal(native.length, 2, `both servers terminated TLS natively:\n${r.stderr}`);
    assert.equal(swapped.rsnetSockets, 2);
    assert.equal(plain.rsnetSockets, 0);
    assert.deepEqual(swapped, { ...plain, rsnetSockets: 2 });
    // Node's run: the second server resumed the first one's session with the shared keys.
    assert.deepEqual(plain.connections.map((c) => c.reused), [false, true]);
    assert.ok(plain.keylog.length > 0);
  });

  test(`[${driver}] http2 servers (cleartext and TLS) accept rsnet sockets`, async () => {
    const r = result(await run(REQUIRE, 'http2-app.js', { env, args: selfSigned() }), 'http2');
    assert.deepEqual(r, [
      { secure: false, raw: true, body: 'h2 ok' },
      { secure: true, raw: true, body: 'h2 ok' },
    ]);
  });

  test(`[${driver}] http2.connect (cleartext and TLS, also with RSNET_TLS=native) connects through rsnet, same results as without it`, async () => {
    const plain = result(await run([], 'http2-client-app.js', { env, args: selfSigned() }), 'http2 client without register');
    assert.equal(plain.rsnetConnects, 0);
    assert.equal(plain.tls.alpn, 'h2');
    assert.equal(plain.tls.post.sha, plain.expectedSha);
    assert.equal(plain.unsupported.code, 'ERR_HTTP2_UNSUPPORTED_PROTOCOL');
    assert.equal(plain.cleartext.peerPortAtConnect, true);
    assert.equal(plain.promisified.connected, true);
    for (const tlsMode of ['', 'native']) {
      const swapped = result(await run(REQUIRE, 'http2-client-app.js', { env: { ...env, RSNET_TLS: tlsMode }, args: selfSigned() }),
        `http2 client under register, RSNET_TLS=${tlsMode}`);
      // Four connections: cleartext, TLS, promisified, and the refused one.
      assert.deepEqual(swapped, { ...plain, rsnetConnects: 4 }, `RSNET_TLS=${tlsMode}`);
    }
  });

  test(`[${driver}] ESM: import from 'node:net' and 'net' under --import and -r`, async () => {
    const expected = {
      defaultIsRsnet: true, bareIsRsnet: true, namedSocket: true, namedCreateServer: true,
      dynamicIsRsnet: true, requireIsRsnet: true, served: true, client: true, body: 'esm ok',
    };
    for (const flags of [IMPORT, REQUIRE]) {
      const r = await run(flags, 'esm-app.mjs', { env });
      assert.deepEqual(result(r, flags.join(' ')), expected, flags.join(' '));
      noWarning(r, flags.join(' '));
    }
    const plain = result(await run([], 'esm-app.mjs', { env }), 'esm without register');
    assert.ok(Object.entries(plain).every(([k, v]) => (k === 'body' ? v === 'esm ok' : v === false)),
      JSON.stringify(plain));
  });

  test(`[${driver}] global fetch() (http, a refused port, https) connects with rsnet, as it answers without it`, async () => {
    const args = selfSigned();
    // A self-signed test certificate: fetch() has no `ca` option.
    const tlsEnv = { ...env, NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_NO_WARNINGS: '1' };
    const swapped = result(await run(REQUIRE, 'fetch-app.js', { env: tlsEnv, args }), 'fetch under register');
    const plain = result(await run([], 'fetch-app.js', { env: tlsEnv, args }), 'fetch without register');
    // Node's https connection is a TLSSocket made with `new net.Socket`, which the
    // channel does not see: net.connect publishes it, tls.connect does not.
    assert.deepEqual(swapped.clientSockets, ['rsnet', 'rsnet', 'rsnet']);
    assert.deepEqual(plain.clientSockets, ['node', 'node']);
    assert.equal(swapped.served, true);
    const strip = ({ clientSockets, served, ...rest }) => rest;
    assert.deepEqual(strip(swapped), strip(plain));
    assert.deepEqual(strip(plain), {
      status: 200,
      body: { via: 'fetch' },
      refused: { name: 'TypeError', message: 'fetch failed', cause: 'ECONNREFUSED', syscall: 'connect' },
      secure: { status: 200, body: 'secure /x' },
    });
  });

  test(`[${driver}] global fetch() keeps a dispatcher the program set itself`, async () => {
    const r = result(await run(REQUIRE, 'fetch-app.js', { env, args: ['--own-dispatcher'] }), 'own dispatcher');
    assert.equal(r.status, 200);
    assert.equal(r.dispatcherKept, true);
  });

  test(`[${driver}] a cluster worker's http server (listening through the primary)`, async () => {
    const r = await run(REQUIRE, 'cluster-http.js', { env });
    assert.deepEqual(result(r, 'cluster'), { served: 'true', client: true });
    noWarning(r, 'cluster');
  });

  test(`[${driver}] an unref'd http server lets the process exit`, async () => {
    const r = await run(REQUIRE, 'unref-server.js', { env, deadline: 10000 });
    assert.deepEqual(result(r, 'unref'), { listening: true, rsnet: true });
  });
}

test('the preload loads none of Node\'s http and tls modules; the program\'s first require finds http patched', async () => {
  const [builtin, swapped] = await Promise.all([run([], 'lazy-http.js'), run(REQUIRE, 'lazy-http.js')]);
  const expected = result(builtin, 'without the preload');
  assert.deepEqual(expected, { atStart: [], afterRequire: true, agentUsesNet: true }, 'TEST BUG: Node did not behave as expected');
  assert.deepEqual(result(swapped, 'with the preload'), expected);
});

test('Node\'s own sockets (a TLSSocket) are instances of the net.Socket the program sees, as without the preload', async () => {
  const [builtin, swapped] = await Promise.all([run([], 'instanceof-node-socket.js'),
    run(REQUIRE, 'instanceof-node-socket.js')]);
  const expected = result(builtin, 'without the preload');
  assert.deepEqual(expected, { tlsIsNetSocket: true, plainIsNetSocket: true, tlsIsSubclass: false,
    subclassIsNetSocket: true, objectIsNetSocket: false }, 'TEST BUG: Node did not behave as expected');
  assert.deepEqual(result(swapped, 'with the preload'), expected);
});

test('RSNET_REGISTER_ESM=0: require is swapped, ESM imports of net stay Node\'s', async () => {
  const r = await run(REQUIRE, 'esm-app.mjs', { env: { RSNET_REGISTER_ESM: '0' } });
  const out = result(r, 'RSNET_REGISTER_ESM=0');
  assert.equal(out.defaultIsRsnet, false);
  assert.equal(out.dynamicIsRsnet, false);
  assert.equal(out.requireIsRsnet, true);
  assert.equal(out.served, true);
});

test('loaded twice (-r and --import): a warning, and the program works', async () => {
  const r = await run([...REQUIRE, ...IMPORT], 'esm-app.mjs');
  assert.equal(result(r, 'twice').served, true);
  assert.match(r.stderr, /RsnetRegisterWarning: rsnet\/register was loaded twice/);
});

test('required after net: a warning; later requires get rsnet', async () => {
  const r = await run([], 'late-register.js');
  assert.deepEqual(result(r, 'late'), { earlyIsRsnet: false, lateIsRsnet: true, text: 'late ok' });
  assert.match(r.stderr, /RsnetRegisterWarning: rsnet\/register was loaded after the program started/);
});

test('required in a worker thread: a warning; that worker runs on rsnet', async () => {
  const r = await run([], 'worker-register.js');
  assert.deepEqual(result(r, 'worker'), { netIsRsnet: true, served: 'true', mainIsRsnet: false });
  assert.match(r.stderr, /RsnetRegisterWarning: rsnet\/register was loaded in a worker thread/);
});

test('workers inherit -r rsnet/register, without a warning', async () => {
  const r = await run(REQUIRE, 'worker-inherit.js');
  assert.deepEqual(result(r, 'inherit'), { workerNetIsRsnet: true });
  noWarning(r, 'inherit');
});

test('RSNET_REGISTER_DEBUG=1 and NODE_DEBUG=rsnet print what was swapped; otherwise silence', async () => {
  const lines = [
    /^RSNET \d+: register: require\('net'\) and require\('node:net'\) -> rsnet/m,
    /^RSNET \d+: register: import 'net' and 'node:net' -> rsnet/m,
    /^RSNET \d+: register: http, https, tls and http2 servers listen through rsnet/m,
    /^RSNET \d+: register: http.Agent createConnection -> rsnet.createConnection/m,
    /^RSNET \d+: require\('net'\) from .*http-lifecycle\.js -> rsnet/m,
    /^RSNET \d+: listen: http.Server -> rsnet Server/m,
  ];
  for (const env of [{ RSNET_REGISTER_DEBUG: '1' }, { NODE_DEBUG: 'rsnet' }]) {
    const r = await run(REQUIRE, 'http-lifecycle.js', { env });
    result(r, JSON.stringify(env));
    for (const line of lines) assert.match(r.stderr, line, JSON.stringify(env));
  }
  const quiet = await run(REQUIRE, 'http-lifecycle.js');
  result(quiet, 'quiet');
  assert.equal(quiet.stderr, '');
});

test('without the preload, requiring rsnet changes nothing global', () => {
  const r = spawnSync(process.execPath, ['-e', `
    const rsnet = require('rsnet');
    const net = require('net');
    const http = require('http');
    const server = http.createServer();
    process.stdout.write(JSON.stringify([net === rsnet, require('node:net') === rsnet,
      http.Agent.prototype.createConnection === net.createConnection,
      server instanceof net.Server]));
  `], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [false, false, true, true]);
});

// Installed as a symlink (npm link, workspaces): the program's own require('rsnet') may
// resolve through the link's path, yet gets the registered instance (one native
// runtime per process). Seen with a cluster worker whose first require('rsnet') runs
// in a request handler.
test('a symlinked install: -r rsnet/register from outside the package, in a cluster worker', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-link-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'rsnet'), 'dir');
    fs.copyFileSync(path.join(FIX, 'cluster-http.js'), path.join(dir, 'app.js'));
    const r = spawnSync(process.execPath, ['-r', 'rsnet/register', 'app.js'], {
      cwd: dir, encoding: 'utf8', timeout: 20000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { served: 'true', client: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
