'use strict';
// Real servers for the real-client tests (__test__/clients/): each test starts its own
// on 127.0.0.1, on a free port, with a temp dir and no persistence, and stops it by pid.
// scripts/test-services.js (npm's "pretest") installs them; when it could not, the tests
// that need one are skipped with its reason (redisSkipReason()).
//
// Readiness is polled with PING over a plain built-in `net` socket, under a deadline.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const tls = require('node:tls');
const { spawn } = require('node:child_process');
const { STATUS_FILE, which } = require('../../scripts/test-services.js');

const live = new Set(); // child processes still running: killed by pid if the process exits

function killLive() {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {}
  }
}
process.on('exit', killLive);
// A test process ended by a signal (a runner's timeout) runs no 'exit' handlers: kill the
// servers, then die of the same signal as before.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killLive();
    process.kill(process.pid, signal);
  });
}

/** null when redis-server can be run; otherwise why not (for `test(..., { skip })`). */
function redisSkipReason() {
  if (which('redis-server')) return null;
  let why = 'scripts/test-services.js did not run (npm test runs it as "pretest")';
  try {
    const status = JSON.parse(fs.readFileSync(STATUS_FILE, 'utf8'));
    if (status.redis && status.redis.reason) why = status.redis.reason;
  } catch {}
  return `redis-server is not installed: ${why}`;
}

/** A port that was free a moment ago (the kernel's pick for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One PING over a plain socket (or TLS, `tlsOptions`): resolves true on +PONG, false on any failure. */
function pingOnce(port, timeoutMs, tlsOptions = null) {
  return new Promise((resolve) => {
    let got = '';
    const s = tlsOptions ? tls.connect({ port, host: '127.0.0.1', ...tlsOptions }) : net.connect(port, '127.0.0.1');
    const done = (ok) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) done(got.startsWith('+PONG'));
    });
    s.on('close', () => done(false));
  });
}

/**
 * Starts `redis-server` on `port` (a free one if not given) in a temp dir, no RDB/AOF.
 * Resolves when it answers PING, with { pid, port, dir, stop(), restart() }.
 * Rejects (after killing it) if it exits first or is not ready within `readyMs`.
 * With `tls` ({ certFile, keyFile, caFile, ca }), `port` is its TLS port and it has no
 * plain one; clients need no certificate.
 */
async function startRedis({ port, readyMs = 10_000, dir, tls: tlsFiles = null } = {}) {
  const binary = which('redis-server');
  if (!binary) throw new Error(redisSkipReason());
  const ownDir = !dir;
  dir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-redis-'));
  port = port || (await freePort());
  const listen = tlsFiles ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tlsFiles.certFile,
    '--tls-key-file', tlsFiles.keyFile, '--tls-ca-cert-file', tlsFiles.caFile, '--tls-auth-clients', 'no'] : ['--port', String(port)];
  const args = [
    ...listen,
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--logfile', '',
    '--loglevel', 'warning',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  let exitInfo = null;
  exited.then((e) => (exitInfo = e));

  const server = {
    pid: child.pid,
    port,
    dir,
    /** SIGTERM by pid, SIGKILL after `graceMs`; resolves when it has exited. Idempotent. */
    async stop({ graceMs = 5_000, removeDir = ownDir } = {}) {
      if (!exitInfo) {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {}
        let timer;
        const killed = new Promise((resolve) => {
          timer = setTimeout(() => {
            try {
              process.kill(child.pid, 'SIGKILL');
            } catch {}
            resolve();
          }, graceMs);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        await exited;
      }
      if (removeDir) fs.rmSync(dir, { recursive: true, force: true });
    },
    /** Stops it and starts a new redis-server on the same port and dir. */
    async restart() {
      await server.stop({ removeDir: false });
      const next = await startRedis({ port, dir, readyMs, tls: tlsFiles });
      if (ownDir) {
        const stopNext = next.stop;
        next.stop = (opts = {}) => stopNext({ removeDir: true, ...opts });
      }
      return next;
    },
  };

  const deadline = Date.now() + readyMs;
  for (;;) {
    if (exitInfo) {
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server (pid ${child.pid}, port ${port}) exited before it was ready (${JSON.stringify(exitInfo)}): ${output.trim()}`);
    }
    const pingTls = tlsFiles && { ca: tlsFiles.ca, servername: 'localhost' };
    if (await pingOnce(port, Math.max(50, Math.min(1_000, deadline - Date.now())), pingTls)) return server;
    if (Date.now() >= deadline) {
      await server.stop();
      throw new Error(`redis-server (pid ${child.pid}, port ${port}) did not answer PING within ${readyMs}ms: ${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // poll interval, bounded by the deadline above
  }
}

module.exports = { redisSkipReason, startRedis, freePort };
