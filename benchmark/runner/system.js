'use strict';
// Facts about the machine and the tools, gathered once by the runner: building
// the loadgen, whether rsnet loads, taskset, the open-files limit, CLK_TCK, and
// the header data for RESULTS.md.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BENCH = path.join(__dirname, '..');
const ROOT = path.join(BENCH, '..');
const LOADGEN_DIR = path.join(BENCH, 'loadgen');
const LOADGEN = path.join(LOADGEN_DIR, 'target', 'release', 'loadgen');

function sh(cmd, args, timeoutS = 20) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutS * 1000 });
  return { ok: !r.error && r.status === 0, out: (r.stdout || '').trim(), err: (r.stderr || '').trim() || (r.error && r.error.message) || '' };
}

function buildLoadgen() {
  const manifest = path.join(LOADGEN_DIR, 'Cargo.toml');
  const r = spawnSync('cargo', ['build', '--release', '--quiet', '--locked', '--manifest-path', manifest], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600 * 1000,
  });
  if (r.error || r.status !== 0) throw new Error(`building the loadgen failed (${r.error ? r.error.message : `exit ${r.status}`})`);
  return LOADGEN;
}

// Loads rsnet in a separate process (a broken addon may crash its loader) under
// RSNET_DRIVER=driver, checks that it looks like `net` and, when the addon can tell,
// that it really runs that driver. Returns null if fine, else the reason.
function rsnetProblem(driver) {
  const probe = `const m = require(${JSON.stringify(ROOT)});
    for (const f of ['createServer', 'connect', 'Socket', 'Server'])
      if (typeof m[f] !== 'function') throw new Error('rsnet does not export ' + f);
    const binding = require(${JSON.stringify(path.join(ROOT, 'rsnet.node'))});
    const s = m.createServer();
    s.listen(0, '127.0.0.1', () => {
      const d = typeof binding.driver === 'function' ? binding.driver() : null;
      s.close();
      if (d && d !== process.env.RSNET_DRIVER) { console.error('Error: the addon runs the ' + d + ' driver'); process.exit(1); }
    });`;
  const env = { ...process.env, RSNET_DRIVER: driver };
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 30000, env });
  if (!r.error && r.status === 0) return null;
  const msg = (r.stderr || '').split('\n').find((l) => /Error|error:/.test(l)) || (r.error && r.error.message) || `exit ${r.status}`;
  return msg.trim();
}

// wrk on PATH, or installed from Debian's packages (apt-get, as root; `apt-get update`
// first only if the plain install fails). Returns its path or null, and what happened.
function findOrInstallWrk() {
  const which = () => {
    const r = sh('sh', ['-c', 'command -v wrk']);
    return r.ok && r.out ? r.out : null;
  };
  let found = which();
  if (found) return { wrk: found, note: null };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { wrk: null, note: 'wrk is not installed and this is not root (apt-get install wrk)' };
  if (!sh('sh', ['-c', 'command -v apt-get']).ok) return { wrk: null, note: 'wrk is not installed and there is no apt-get' };
  const install = () => sh('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '-q', 'wrk'], 300);
  console.error('installing wrk (apt-get install -y wrk) ...');
  let r = install();
  if (!r.ok) {
    console.error('apt-get install failed; running apt-get update and trying again ...');
    sh('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'update', '-q'], 300);
    r = install();
  }
  found = which();
  if (found) return { wrk: found, note: 'wrk was installed with apt-get' };
  return { wrk: null, note: `installing wrk failed (${(r.err || r.out).split('\n').slice(-1)[0]})` };
}

function wrkVersion(wrk) {
  const r = sh(wrk, ['-v']); // prints its version and usage, exits non-zero
  const line = `${r.out}\n${r.err}`.split('\n').find((l) => /^wrk /.test(l));
  return line ? line.replace(/ Copyright.*$/, '').trim() : 'wrk';
}

// The CPUs this process may run on (its affinity list), e.g. [0, 1].
function allowedCpus() {
  const r = sh('taskset', ['-pc', String(process.pid)]);
  const list = r.ok ? r.out.split(':').pop().trim() : '';
  const cpus = [];
  for (const part of list.split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (Number.isFinite(b) ? b : a); c++) cpus.push(c);
  }
  return cpus;
}

function hasTaskset() {
  return sh('taskset', ['-c', '0', 'true']).ok;
}

// Soft open-files limit of this process (children inherit it; Node already raises
// its soft limit to the hard one at startup). Tries to lift the hard limit too.
function raiseFdLimit(want) {
  sh('prlimit', ['--pid', String(process.pid), `--nofile=${want}:${want}`]);
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    return Number(line.trim().split(/\s+/)[3]);
  } catch {
    return NaN;
  }
}

function clkTck() {
  const r = sh('getconf', ['CLK_TCK']);
  return r.ok && Number(r.out) > 0 ? Number(r.out) : 100;
}

// Fraction of all CPU time spent busy over `ms` milliseconds (from /proc/stat).
// Sampled before measuring: other work on the machine skews every number.
function busyFraction(ms) {
  const sample = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] || 0); // idle + iowait
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = sample();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    const b = sample();
    return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : NaN;
  } catch {
    return NaN;
  }
}

// When and how big the built addon is: the runner compares this before and after,
// since a rebuild in the middle of a run mixes two builds in one table.
function addonStamp() {
  try {
    const st = fs.statSync(path.join(ROOT, 'rsnet.node'));
    return { mtime: st.mtime.toISOString(), size: st.size };
  } catch {
    return null;
  }
}

// The commit rsnet's checkout is at, and which of its own files (not the
// benchmark's) differ from it: the scripts load index.js and lib/ as they are on
// disk, and rsnet.node as it was last built.
function sourceState() {
  const head = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  if (!head.ok) return 'not a git checkout';
  const st = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'index.js', 'lib', 'src', 'Cargo.toml', 'build.rs'], { encoding: 'utf8', timeout: 20000 });
  const dirty = st.status === 0 ? st.stdout.split('\n').filter(Boolean).map((l) => l.slice(3).replace(/^.* -> /, '')) : [];
  const shown = dirty.slice(0, 8).join(', ') + (dirty.length > 8 ? ` and ${dirty.length - 8} more` : '');
  return `git ${head.out}${dirty.length ? `, with uncommitted changes in ${shown}` : ', clean'}`;
}

// A digest of the JS layer the scripts load from disk (index.js and lib/): the
// runner compares it before and after, since an edit mid-run mixes two versions.
function jsLayerDigest() {
  const hash = crypto.createHash('sha1');
  const walk = (rel) => {
    const abs = path.join(ROOT, rel);
    let st;
    try {
      st = fs.statSync(abs);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(abs).sort()) walk(path.join(rel, e));
    else if (/\.(js|mjs|json)$/.test(rel)) hash.update(`${rel}\0`).update(fs.readFileSync(abs));
  };
  walk('index.js');
  walk('lib');
  return hash.digest('hex');
}

function machineInfo() {
  let cpuModel = 'unknown';
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) cpuModel = m[1].trim();
  } catch {}
  const rustc = sh('rustc', ['--version']);
  let rsnetBuild = 'not built';
  const st = addonStamp();
  if (st) rsnetBuild = `rsnet.node of ${st.mtime}, ${st.size} bytes`;
  rsnetBuild += `; ${sourceState()}`;
  return {
    date: new Date().toISOString(),
    cpuModel,
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    node: process.version,
    rustc: rustc.ok ? rustc.out : 'unknown',
    rsnetBuild,
    kernel: `${os.type()} ${os.release()}`,
  };
}

module.exports = { BENCH, ROOT, buildLoadgen, rsnetProblem, findOrInstallWrk, wrkVersion, allowedCpus, addonStamp, jsLayerDigest, hasTaskset, raiseFdLimit, clkTck, busyFraction, machineInfo };
