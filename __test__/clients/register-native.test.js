'use strict';
// Real clients unchanged under `-r rsnet/register` with RSNET_TLS=native, in a child
// (fixtures/tls-clients-app.js), against the same app without register: the global
// fetch() (Node's bundled undici) against Node's https server, and ioredis with `tls`
// against a TLS-only redis-server. NODE_DEBUG=rsnet's lines say that every connection
// took rsnet's native TLS; the app says so of the sockets it holds.
const { test, before, after } = require('node:test');
// First: it fixes RSNET_DRIVER before rsnet loads.
const { DRIVER, alsoUnderOtherDriver } = require('../helpers/drivers.js');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { ROOT, RSNET_IS_FALLBACK, once } = require('../helpers/clients.js');
const { redisSkipReason, startRedis } = require('../helpers/services.js');
const { makeCertificates } = require('../helpers/tls-certs.js');
const { which } = require('../../scripts/test-services.js');

const noRsnet = RSNET_IS_FALLBACK ? 'rsnet is not loaded (rsnet.node missing, or RSNET_FORCE_NET=1)' : false;
const noOpenssl = which('openssl') ? false : 'no openssl CLI to make test certificates (scripts/test-services.js installs it)';
const APP = path.join(__dirname, 'fixtures', 'tls-clients-app.js');

let certs;
before(() => {
  if (!noRsnet && !noOpenssl) certs = makeCertificates();
});
after(() => certs && certs.remove());

/** Runs the app (under register or not); resolves its JSON line and its stderr. */
async function runApp(register, args, env = {}) {
  const child = spawn(process.execPath, [...(register ? ['-r', 'rsnet/register'] : []), APP, ...args], {
    cwd: ROOT,
    env: { ...process.env, RSNET_TLS: 'native', NODE_DEBUG: 'rsnet', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'exit', { timeoutMs: 30_000, label: `the app (register: ${register})` }).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  assert.equal(code, 0, `the app (register: ${register}) exited ${code}: ${stderr}`);
  return { out: JSON.parse(stdout), native: (stderr.match(/tls\.connect: native TLS \(rustls\)/g) || []).length, stderr };
}

test(`[${DRIVER}] fetch() (Node's undici) under rsnet/register with RSNET_TLS=native: its https connections on rsnet's native TLS, same replies as without register`, { skip: noRsnet || noOpenssl, timeout: 60_000 }, async () => {
  // fetch() takes no CA: the test's server is trusted by turning verification off.
  const env = { NODE_TLS_REJECT_UNAUTHORIZED: '0' };
  const plain = await runApp(false, ['fetch', certs.dir], env);
  const swapped = await runApp(true, ['fetch', certs.dir], env);
  assert.deepEqual(plain.out.fetch.map((f) => f.nativeServer), ['false', 'false']);
  assert.deepEqual(swapped.out.fetch.map((f) => f.nativeServer), ['true', 'true'], 'the https server was native');
  // One connection per fetch() here, on Node as on rsnet (see `conn`), each native.
  assert.equal(swapped.native, swapped.out.fetch.length, `every fetch() connection went native:\n${swapped.stderr}`);
  const strip = (out) => out.fetch.map(({ nativeServer, ...rest }) => rest);
  assert.deepEqual(strip(swapped.out), strip(plain.out));
});

test(`[${DRIVER}] ioredis with tls under rsnet/register with RSNET_TLS=native: its stream is rsnet's native TLS, same replies as without register`, { skip: noRsnet || noOpenssl || redisSkipReason() || false, timeout: 60_000 }, async () => {
  const server = await startRedis({ tls: {
    certFile: path.join(certs.dir, 'server.pem'),
    keyFile: path.join(certs.dir, 'server.key'),
    caFile: path.join(certs.dir, 'ca.pem'),
    ca: certs.ca,
  } });
  try {
    const args = ['ioredis', certs.dir, String(server.port)];
    const plain = await runApp(false, args);
    const swapped = await runApp(true, args);
    assert.equal(plain.out.nativeStream, false);
    assert.equal(swapped.out.nativeStream, true, 'ioredis\'s stream was rsnet\'s native TLS socket');
    assert.equal(swapped.native, 1, `its connection went native:\n${swapped.stderr}`);
    assert.deepEqual(swapped.out.replies, plain.out.replies);
  } finally {
    await server.stop();
  }
});

alsoUnderOtherDriver(__filename);
