'use strict';
// The loop driver's reactor (src/driver/in_loop/reactor.rs): every socket it polls
// joins one edge-triggered epoll set once and is never modified, and its fd leaves
// the set by being closed. So a whole connection life (connect, a few bytes echoed,
// end, both sides closed) costs two epoll_ctl calls in the process that is both
// client and server, one ADD per socket; a uv_poll per socket cost 15. And the
// listener accepts one connection per notification, as libuv does: one accept4 per
// connection, not a second one that finds EAGAIN.
// Counted, not timed: a child runs the connections under strace, between two marker
// syscalls, after a warm-up that makes whatever is made once.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DRIVER, ROOT } = require('./helpers/harness');
const { exitGuard } = require('./fixtures/util');

exitGuard(after, path.basename(__filename));

const STRACE = require('../scripts/test-services.js').which('strace');
const CONNECTIONS = 100;
const LINUX = process.platform === 'linux';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-reactor-syscalls-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const T = {
  timeout: 120_000,
  skip: (DRIVER !== 'loop' && 'the threaded driver polls with the runtime, not the reactor') ||
    (!LINUX && 'epoll is Linux only') ||
    (!STRACE && 'strace is not installed: npm test installs it (scripts/test-services.js)'),
};

// The child: a server and its clients in one process, `count` lives between the
// markers (a failed access(2) of a path nobody has).
function child(listenArgs, count, begin, end) {
  return `
    const fs = require('node:fs');
    const net = require(${JSON.stringify(ROOT)});
    const mark = (p) => { try { fs.accessSync(p); } catch {} };
    const server = net.createServer((s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    const life = (address) => new Promise((resolve, reject) => {
      const c = net.connect(address, () => c.write('ping'));
      c.on('data', () => c.end());
      c.on('error', reject);
      c.on('close', resolve);
    });
    server.listen(...${JSON.stringify(listenArgs)}, async () => {
      const a = server.address();
      const address = typeof a === 'string' ? { path: a } : { port: a.port, host: '127.0.0.1' };
      for (let i = 0; i < 20; i++) await life(address);
      mark(${JSON.stringify(begin)});
      for (let i = 0; i < ${count}; i++) await life(address);
      mark(${JSON.stringify(end)});
      server.close();
    });`;
}

// Syscalls by name between the two markers, all threads.
function counted(listenArgs, label) {
  const begin = path.join(dir, `${label}-begin-marker`);
  const end = path.join(dir, `${label}-end-marker`);
  const trace = path.join(dir, `${label}.strace`);
  const r = spawnSync(STRACE, ['-f', '-o', trace, '-e', 'trace=epoll_ctl,accept4,accept,access,faccessat,faccessat2',
    process.execPath, '-e', child(listenArgs, CONNECTIONS, begin, end)], {
    timeout: 100_000, encoding: 'utf8', env: { ...process.env, RSNET_DRIVER: 'loop' },
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = fs.readFileSync(trace, 'utf8').split('\n');
  const from = lines.findIndex((l) => l.includes(begin));
  const to = lines.findIndex((l) => l.includes(end));
  assert.ok(from >= 0 && to > from, `markers found in the trace (${from}, ${to})`);
  const counts = {};
  for (const line of lines.slice(from + 1, to)) {
    const m = /^\d+\s+(\w+)\(/.exec(line);
    if (m) counts[m[1]] = (counts[m[1]] || 0) + 1;
  }
  return counts;
}

function check(counts) {
  const ctl = counts.epoll_ctl || 0;
  const accepts = (counts.accept4 || 0) + (counts.accept || 0);
  // One ADD per socket: the client's and the accepted one.
  assert.ok(ctl <= 2 * CONNECTIONS, `${ctl} epoll_ctl calls over ${CONNECTIONS} connections (${JSON.stringify(counts)})`);
  assert.ok(accepts <= CONNECTIONS, `${accepts} accept calls over ${CONNECTIONS} connections (${JSON.stringify(counts)})`);
}

test(`[${DRIVER}] a TCP connection life costs one epoll_ctl per socket and one accept4`, T, () => {
  check(counted([0, '127.0.0.1'], 'tcp'));
});

test(`[${DRIVER}] a Unix-socket connection life costs one epoll_ctl per socket and one accept4`, T, () => {
  check(counted([path.join(dir, 's.sock')], 'unix'));
});

// An adopted fd may share its open file with others, and rsnet never closes stdio:
// such an fd leaves the epoll set explicitly when its socket is destroyed, so that
// adopting it again registers it again (without that, EEXIST). A child whose stdout
// is a socket (spawnSync's pipes are socketpairs) adopts fd 1 twice.
test(`[${DRIVER}] a socket adopted over stdout can be destroyed and adopted again: its fd left the epoll set`, T, () => {
  const code = `
    const net = require(${JSON.stringify(ROOT)});
    const life = () => new Promise((resolve) => {
      const s = new net.Socket({ fd: 1, readable: true, writable: true });
      s.resume();
      setImmediate(() => { s.on('close', resolve); s.destroy(); });
    });
    (async () => { await life(); await life(); })();`;
  const trace = path.join(dir, 'stdio.strace');
  const r = spawnSync(STRACE, ['-f', '-o', trace, '-e', 'trace=epoll_ctl', process.execPath, '-e', code], {
    timeout: 30_000, encoding: 'utf8', env: { ...process.env, RSNET_DRIVER: 'loop' },
  });
  assert.equal(r.status, 0, r.stderr);
  const adds = {};
  const lines = fs.readFileSync(trace, 'utf8').split('\n');
  for (const line of lines) {
    const m = /epoll_ctl\((\d+), EPOLL_CTL_ADD, 1, .*\) = (.*)$/.exec(line);
    if (!m) continue;
    assert.equal(m[2], '0', `every registration of fd 1 succeeds: ${line}`);
    adds[m[1]] = (adds[m[1]] || 0) + 1;
  }
  // rsnet's set (and the runtime's, where an adopted fd starts) registered it twice.
  assert.ok(Object.keys(adds).length >= 1 && Object.values(adds).every((n) => n === 2), JSON.stringify(adds));
});
