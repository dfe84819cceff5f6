#!/usr/bin/env node
'use strict';
// Installs the servers that the real-client tests (__test__/clients/) run against.
// `npm test` calls it first (the "pretest" script), so `npm install && npm test` works on
// a fresh machine. Quick and idempotent: a server already on the PATH is left alone.
//
// It only installs; it starts nothing. Each test starts its own server on a free port of
// 127.0.0.1 with a temp dir and stops it by pid (__test__/helpers/services.js).
//
// It never fails `npm test`: when a server cannot be installed (not root, no apt-get, no
// network...) it says why, here and in a status file that the tests read, and the tests
// that need that server are reported as skipped with that reason.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const STATUS_FILE = path.join(os.tmpdir(), 'rsnet-test-services.json');

// name: what the tests ask for; binary: what must be on the PATH; packages: Debian's.
const SERVICES = [
  { name: 'redis', binary: 'redis-server', packages: ['redis-server'] },
  // Not a server: the tls tests make a self-signed certificate with it at test time.
  { name: 'openssl', binary: 'openssl', packages: ['openssl'] },
  // Not a server: __test__/tcp-extensions.test.js reads the kernel's view of its sockets
  // with ss, and sets up a private network namespace's loopback with ip.
  { name: 'iproute2', binary: 'ss', packages: ['iproute2'] },
  // Not a server: __test__/send-file-pipe.test.js checks under strace that a file piped
  // into an rsnet socket really went by sendfile(2).
  { name: 'strace', binary: 'strace', packages: ['strace'] },
];

function which(binary) {
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, binary);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {}
  }
  return null;
}

function log(line) {
  process.stdout.write(`test-services: ${line}\n`);
}

function run(cmd, args, timeoutMs) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-5).join('\n');
  if (r.error) return { ok: false, why: `${cmd} ${args[0]}: ${r.error.code || r.error.message}` };
  if (r.status !== 0) return { ok: false, why: `${cmd} ${args.find((a) => !a.startsWith('-') && !a.includes('='))} exited ${r.status}${r.signal ? ` (${r.signal})` : ''}: ${tail}` };
  return { ok: true };
}

// Debian's postinst would start the packaged service (on 6379) through invoke-rc.d:
// a policy-rc.d that answers 101 ("action forbidden") stops that, as in Docker images.
// Only added for the install when the machine has none, and removed after.
function withoutServiceStarts(fn) {
  const policy = '/usr/sbin/policy-rc.d';
  let added = false;
  if (!fs.existsSync(policy)) {
    try {
      fs.writeFileSync(policy, '#!/bin/sh\n# added by rsnet scripts/test-services.js during apt-get install\nexit 101\n', { mode: 0o755 });
      added = true;
    } catch {}
  }
  try {
    return fn();
  } finally {
    if (added) {
      try {
        fs.unlinkSync(policy);
      } catch {}
    }
  }
}

function install(service) {
  if (process.platform !== 'linux') return `not Linux (${process.platform}): install ${service.binary} by hand`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return `not root: run \`apt-get install ${service.packages.join(' ')}\` as root`;
  if (!which('apt-get')) return `no apt-get on this machine: install ${service.binary} by hand`;
  return withoutServiceStarts(() => {
    // Waits up to a minute for a dpkg lock that another apt-get holds.
    const args = ['-o', 'DPkg::Lock::Timeout=60', 'install', '-y', '--no-install-recommends', ...service.packages];
    // Fast path: the package lists may already be fresh. Otherwise update them once and retry.
    let r = run('apt-get', args, 300_000);
    if (!r.ok) {
      const u = run('apt-get', ['update'], 300_000);
      if (!u.ok) return u.why;
      r = run('apt-get', args, 300_000);
    }
    if (!r.ok) return r.why;
    return which(service.binary) ? null : `apt-get installed ${service.packages.join(' ')} but ${service.binary} is not on the PATH`;
  });
}

function main() {
  const status = {};
  for (const service of SERVICES) {
    let found = which(service.binary);
    let reason = null;
    if (found) {
      log(`${service.binary}: present (${found})`);
    } else {
      log(`${service.binary}: missing, installing ${service.packages.join(' ')}`);
      reason = install(service);
      found = which(service.binary);
      if (found) log(`${service.binary}: installed (${found})`);
      else log(`${service.binary}: NOT INSTALLED, its tests will be skipped: ${reason}`);
    }
    status[service.name] = found ? { ok: true, binary: found } : { ok: false, reason };
  }
  try {
    fs.writeFileSync(STATUS_FILE, `${JSON.stringify(status, null, 2)}\n`);
  } catch {}
}

if (require.main === module) main();

module.exports = { STATUS_FILE, SERVICES, which };
