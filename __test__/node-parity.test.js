'use strict';
// Differences found by running Node's own http/https/tls/net tests on rsnet
// (`npm run node-tests`), each reduced to a small scenario. In-process scenarios run on
// built-in net and on rsnet (helpers/parity.js); those that need Node's own http/tls
// on rsnet sockets run a fixture (fixtures/node-parity/) in a child process with and
// without `-r rsnet/register`, under each driver. Either way both must record the same.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const { DRIVERS } = require('./helpers/drivers-list');
const P = require('./helpers/parity');
const { which } = require('../scripts/test-services.js');

const ROOT = path.resolve(__dirname, '..');
const FIX = path.join(__dirname, 'fixtures', 'node-parity');
const REGISTER = ['-r', path.join(ROOT, 'register.js')];
const DEADLINE = 20_000;

// `node ...flags fixture ...args`; SIGKILL at the deadline. Resolves the fixture's last
// stdout line, parsed, after checking the child exited by itself with 0.
function runFixture(flags, fixture, { args = [], env = {} } = {}) {
  const what = `${fixture} ${flags.length ? 'under register' : 'on net'} (${env.RSNET_DRIVER})`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, path.join(FIX, fixture), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_DEBUG: '', RSNET_REGISTER_DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${what}: exit ${code} ${signal}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()));
      } catch (err) {
        reject(new Error(`${what}: no JSON line (${err.message})\n${stdout}\n${stderr}`));
      }
    });
  });
}

// The fixture's result on net and under register, for one driver. `rsnet` in each
// result says whether the fixture's sockets were rsnet's; the rest must be equal.
async function withAndWithout(fixture, options) {
  const plain = await runFixture([], fixture, options);
  const swapped = await runFixture(REGISTER, fixture, options);
  assert.equal(plain.rsnet, false, 'without the preload, net is Node\'s');
  assert.equal(swapped.rsnet, true, 'under the preload, net is rsnet');
  return { plain: { ...plain, rsnet: null }, swapped: { ...swapped, rsnet: null } };
}

let certs = null;
// A self-signed certificate, made with the openssl CLI on first use; [key, cert] paths.
function selfSigned() {
  if (certs) return certs;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-node-parity-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
    'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=localhost'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `openssl req failed: ${r.error || r.stderr}`);
  certs = [key, cert];
  return certs;
}
const noOpenssl = which('openssl') ? false : 'no openssl CLI to make a test certificate';

for (const driver of DRIVERS) {
  const env = { RSNET_DRIVER: driver };

  // TLSSocket waited for a connect only under one of Node's own sockets: the handshake
  // went out on the rsnet socket before its connect() and failed ERR_SOCKET_CLOSED.
  test(`[${driver}] tls.connect({ socket }) before socket.connect(): the handshake waits for it`,
    { skip: noOpenssl }, async () => {
      const { plain, swapped } = await withAndWithout('tls-unconnected-socket.js', { env, args: selfSigned() });
      assert.deepEqual(plain.events,
        ['connecting:true', 'connect:false', 'secureConnect', 'data:hello', 'end', 'close']);
      assert.deepEqual(swapped, plain);
    });

  // A handshake message written after the socket's end(): libuv fails it with EPIPE,
  // which TLS ignores after its shutdown; through JSStreamSocket the ended rsnet socket
  // raised ERR_STREAM_WRITE_AFTER_END and the connection died with that error.
  test(`[${driver}] an https socket ended on 'connect' finishes its handshake and ends cleanly`,
    { skip: noOpenssl }, async () => {
      const { plain, swapped } = await withAndWithout('https-end-before-handshake.js', { env, args: selfSigned() });
      assert.deepEqual(plain.events, ['connect', 'secureConnect', 'end', 'close']);
      assert.deepEqual(swapped, plain);
    });

  // An aborted signal destroyed the agent's TLS socket before it held the rsnet socket's
  // wrapper: the rsnet socket connected on, and its ECONNREFUSED came after the server
  // closed, an uncaught error.
  test(`[${driver}] an https agent connection with an aborted signal makes no connection behind it`,
    { skip: noOpenssl }, async () => {
      const { plain, swapped } = await withAndWithout('https-preaborted-signal.js', { env, args: selfSigned() });
      assert.equal(plain.connections, 0);
      assert.equal(plain.events[0], 'error:AbortError');
      assert.deepEqual(swapped, plain);
    });

  // Over an rsnet socket, the server TLS socket was destroyed only when the JSStreamSocket
  // between them closed, an immediate after the raw socket's 'close'.
  test(`[${driver}] a TLS socket is destroyed by the raw socket's 'close' under it`,
    { skip: noOpenssl }, async () => {
      const { plain, swapped } = await withAndWithout('tls-raw-close.js', { env, args: selfSigned() });
      assert.ok(plain.events.includes('raw close, tls destroyed: true'), plain.events.join());
      assert.deepEqual(swapped, plain);
    });

  // A worker's TLS server listened through an rsnet server, which had no
  // _getServerData/_setServerData: the primary never gave it the first worker's ticket
  // keys, and sessions made by one worker did not resume on another.
  test(`[${driver}] TLS servers in cluster workers share their session ticket keys`,
    { skip: noOpenssl }, async () => {
      const { plain, swapped } = await withAndWithout('cluster-tls-ticket-keys.js', { env, args: selfSigned() });
      assert.deepEqual(plain, { workers: 2, sameTicketKeys: true, rsnet: null });
      assert.deepEqual(swapped, plain);
    });
}

// ---- In process, under this run's driver -----------------------------------------------

// A socket's 'close' came from a close phase rsnet scheduled beside `handle.close()`: code
// that wraps `_handle.close` and calls back itself (Node's
// test-http-client-spurious-aborted.js does) was called with no callback and threw.
test('destroy() closes the handle with _handle.close(callback) and says close from that callback', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const srv = await scope.server(mod);
    const sock = await scope.connect(mod, { port: srv.address().port, host: '127.0.0.1' });
    const log = [];
    const closed = P.deferred(5000, `${label} 'close'`);
    const handle = sock._handle;
    const close = handle.close;
    handle.close = function(callback) {
      log.push(`_handle.close(${typeof callback})`);
      close.call(this);
      callback();
    };
    sock.on('close', (hadError) => {
      log.push(`close(${hadError})`);
      closed.resolve();
    });
    sock.destroy();
    log.push('destroy() returned');
    await closed.promise;
    return log;
  });
  P.assertParity(results, ['_handle.close(function)', 'close(false)', 'destroy() returned']);
});

// Node keeps a socket's idle timer under a private symbol; its TLSSocket refreshes and
// clears the timer of the socket under it through that symbol, and Node's tests read it
// (test-http-client-timeout-on-connect.js, test-tls-wrap-timeout.js). rsnet kept its
// own symbol, so none of them saw rsnet's timer.
const kNodeTimeout = Object.getOwnPropertySymbols(new (require('node:net').Socket)())
  .find((s) => s.description === 'timeout');
test('the idle timer is under Node\'s own symbol: set, cleared and destroyed alike', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const srv = await scope.server(mod);
    const sock = await scope.connect(mod, { port: srv.address().port, host: '127.0.0.1' });
    const seen = [];
    const look = (when) => {
      const timer = sock[kNodeTimeout];
      seen.push(`${when}: ${timer && typeof timer === 'object' ? `idleTimeout ${timer._idleTimeout}` : timer}`);
    };
    look('connected');
    sock.setTimeout(60_000);
    look('setTimeout(60000)');
    sock.setTimeout(0);
    look('setTimeout(0)');
    sock.setTimeout(30_000);
    sock.destroy();
    look('destroy()');
    return seen;
  });
  P.assertParity(results, ['connected: null', 'setTimeout(60000): idleTimeout 60000',
    'setTimeout(0): idleTimeout -1', 'destroy(): idleTimeout -1']);
});

// A port no one listens on, from the kernel.
async function unusedPort() {
  const probe = require('node:net').createServer();
  await P.listen(probe, 0, '127.0.0.1');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// libuv sets SO_REUSEADDR on every TCP bind, a client's localPort too; rsnet's client
// bind did not, so a local port whose last connection was in TIME_WAIT failed
// EADDRINUSE (Node's sequential/test-https-connect-localport.js, run after another test
// on common.PORT).
test('connect({ localPort }) binds again a port whose last connection is in TIME_WAIT', async () => {
  const results = await P.runBoth(async (mod, label, scope) => {
    const first = await scope.server(mod, { onConnection: (s) => s.on('end', () => s.end()) });
    const second = await scope.server(mod);
    const localPort = await unusedPort();
    // This side closes first, so its end of the connection stays in TIME_WAIT.
    const c1 = scope.track(mod.connect({ port: first.address().port, host: '127.0.0.1', localPort }));
    c1.on('connect', () => c1.end()).resume();
    await P.once(c1, 'close', { label: `${label} first connection` });
    const c2 = scope.track(mod.connect({ port: second.address().port, host: '127.0.0.1', localPort }));
    return P.withTimeout(new Promise((resolve) => {
      c2.on('connect', () => resolve(`connect, localPort kept: ${c2.localPort === localPort}`));
      c2.on('error', (err) => resolve(`error ${err.code} ${err.syscall}`));
    }), 5000, `${label} second connection`);
  });
  P.assertParity(results, 'connect, localPort kept: true');
});

