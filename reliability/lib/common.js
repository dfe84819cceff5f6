'use strict';
// Small helpers shared by every reliability part. Not a part itself.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

// The implementations and the drivers are the test harness's (the one place that
// loads them); this suite always covers both drivers.
const harness = require('../../__test__/helpers/harness');

const { ROOT, ALL_DRIVERS: DRIVERS } = harness;
const MODULES = ['net', 'rsnet'];

// The module under test, by name. A child process is told which one to load
// (argv or RELIABILITY_MODULE), so the very same script drives both.
function loadModule(name) {
  return harness.load(name);
}

// mulberry32: tiny, fast, seedable. Math.random cannot be seeded, and every
// random choice must be reproducible from the printed seed (--seed N).
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int(n) { return Math.floor(next() * n); },
    pick(arr) { return arr[Math.floor(next() * arr.length)]; },
    bool(p = 0.5) { return next() < p; },
  };
}

// A fresh temp dir for Unix sockets; the caller removes it.
function tmpDir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rsnet-rel-${tag}-`));
}

function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}

// Current and peak RSS in bytes, from /proc (peak = VmHWM: the kernel's own
// high-water mark, so no sampling can miss a short spike).
function memStatus() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [0, 0])[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

// Runs `node <script> ...args` with RSNET_DRIVER set. A child must exit by itself
// before `deadline` ms; if not it is SIGKILLed and reported as a hang. A crash is
// an exit by signal or with a code other than the expected ones. The child
// reports its result as one line `RESULT <json>` on stdout.
function runChild(script, args, { driver, deadline = 60000, execArgv = [], env = {}, cwd } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [...execArgv, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: cwd || ROOT,
      env: { ...process.env, ...env, ...(driver ? { RSNET_DRIVER: driver } : {}) },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, deadline);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { if (stderr.length < 200000) stderr += d; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let result = null;
      for (const line of stdout.split('\n')) {
        if (line.startsWith('RESULT ')) {
          try { result = JSON.parse(line.slice(7)); } catch { /* reported as missing result */ }
        }
      }
      resolve({ code, signal, timedOut, result, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// How a child ended, in one word, for figures: ok | hang | crash(<sig|code>).
function childOutcome(r, okCodes = [0]) {
  if (r.timedOut) return 'hang';
  if (r.signal) return `crash(${r.signal})`;
  if (!okCodes.includes(r.code)) return `crash(exit ${r.code})`;
  return 'ok';
}

function report(obj) {
  process.stdout.write(`RESULT ${JSON.stringify(obj)}\n`);
}

const MB = 1024 * 1024;
function mb(bytes) { return (bytes / MB).toFixed(1); }

module.exports = { ROOT, DRIVERS, MODULES, loadModule, rng, tmpDir, fdCount, memStatus, runChild, childOutcome, report, MB, mb };
