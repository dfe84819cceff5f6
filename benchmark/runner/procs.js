'use strict';
// Child process plumbing for the runner: spawn with a hard timeout, read the
// first JSON line a child prints, stop children, and make sure none survive the
// runner (SIGKILL on exit, on signals and on crashes). Also /proc sampling.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { readStat, threadTimes } = require('../proc-stat');

const live = new Set();

function killAll() {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  live.clear();
}

function installCleanup() {
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\nrunner: ${sig}, stopping all children`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(`runner: crashed: ${err.stack || err}`);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error(`runner: unhandled rejection: ${err && err.stack ? err.stack : err}`);
    killAll();
    process.exit(1);
  });
}

// Spawns `argv` (optionally pinned with taskset). stdin stays an open pipe: the
// children treat its EOF as "the runner is gone". `timeoutS` is a hard cap after
// which the child is SIGKILLed and marked timedOut.
function start(label, argv, { env, pinCpu = null, timeoutS }) {
  const full = pinCpu === null ? argv : ['taskset', '-c', String(pinCpu), ...argv];
  const child = spawn(full[0], full.slice(1), { env: env || process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const c = { label, child, pid: child.pid, stdout: '', stderr: '', lines: [], waiters: [], exited: null, timedOut: false };
  live.add(child);
  child.stdin.on('error', () => {}); // child may exit before we close its stdin
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    c.stdout += d;
    let nl;
    while ((nl = c.stdout.indexOf('\n')) >= 0) {
      const line = c.stdout.slice(0, nl);
      c.stdout = c.stdout.slice(nl + 1);
      c.lines.push(line);
      wake(c);
    }
  });
  child.stderr.on('data', (d) => {
    c.stderr = (c.stderr + d).slice(-4000); // keep the tail for error reports
  });
  c.exitPromise = new Promise((resolve) => {
    const finish = (code, signal) => {
      if (c.exited) return;
      live.delete(child);
      clearTimeout(c.timer);
      c.exited = { code, signal };
      wake(c);
      resolve(c.exited);
    };
    child.on('error', (err) => {
      c.stderr += `\nspawn error: ${err.message}`;
      if (child.pid === undefined) finish(null, null); // never started: no 'close' to wait for
    });
    child.on('close', finish);
  });
  c.timer = setTimeout(() => {
    c.timedOut = true;
    child.kill('SIGKILL');
  }, timeoutS * 1000);
  return c;
}

function wake(c) {
  const ws = c.waiters;
  c.waiters = [];
  for (const w of ws) w();
}

function describe(c, what) {
  const why = c.timedOut ? 'timed out' : c.exited ? `exited (code ${c.exited.code}, signal ${c.exited.signal})` : 'running';
  const tail = c.stderr.trim().split('\n').slice(-3).join(' | ');
  return `${c.label}: ${what}: ${why}${tail ? `; stderr: ${tail}` : ''}`;
}

// Resolves with the first stdout line that parses as a JSON object.
function nextJson(c, timeoutS) {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(describe(c, `no JSON line within ${timeoutS}s`))), timeoutS * 1000);
    const check = () => {
      while (c.lines.length) {
        const line = c.lines.shift();
        try {
          const v = JSON.parse(line);
          if (v && typeof v === 'object') {
            clearTimeout(deadline);
            return resolve(v);
          }
        } catch {}
      }
      if (c.exited) {
        clearTimeout(deadline);
        return reject(new Error(describe(c, 'ended without a JSON result')));
      }
      c.waiters.push(check);
    };
    check();
  });
}

// Runs a child to completion and returns its JSON result (rejects on non-zero exit).
async function runToEnd(c) {
  const exit = await c.exitPromise;
  const resultP = nextJson(c, 0.1).catch((e) => e);
  const result = await resultP;
  if (exit.code !== 0 || result instanceof Error) throw new Error(describe(c, 'failed'));
  return result;
}

// Closes stdin, then SIGTERM, then SIGKILL: each step gets a short grace period.
async function stop(c) {
  if (c.exited) return c.exited;
  const wait = (s) => Promise.race([c.exitPromise, new Promise((r) => setTimeout(r, s * 1000))]);
  c.child.stdin.end();
  await wait(1);
  if (!c.exited) c.child.kill('SIGTERM');
  await wait(2);
  if (!c.exited) c.child.kill('SIGKILL');
  return c.exitPromise;
}

// CPU seconds (utime+stime) of a whole process, of its main thread (tid = pid), and
// of each of its threads ({ tid: { name, s } }, for proc-stat's otherThreads()).
function readCpu(pid, clkTck) {
  return {
    proc: readStat(`/proc/${pid}/stat`, clkTck).s,
    main: readStat(`/proc/${pid}/task/${pid}/stat`, clkTck).s,
    threads: threadTimes(pid, clkTck),
  };
}

// Memory of a process in MB: VmHWM (peak resident set) and VmRSS (current).
function readMem(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) || [])[1]);
    return { hwmMB: kb('VmHWM') / 1024, rssMB: kb('VmRSS') / 1024 };
  } catch {
    return { hwmMB: NaN, rssMB: NaN };
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { installCleanup, killAll, start, nextJson, runToEnd, stop, readCpu, readMem, describe, sleep };
