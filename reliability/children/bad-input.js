'use strict';
// Child for the bad-input part: runs a slice of the generated calls against ONE
// module (argv: module seed count [excluded indices]) and prints one line per case:
//   S <i>            the case started (so a crash can be pinned on the cases in flight)
//   C <i> <json>     what happened: sync throw or return, async events within the bound
// then DONE, and then must exit by itself (a leaked handle shows up as a hang).
const builtin = require('net');
const fs = require('fs');
const path = require('path');
const { loadModule, tmpDir } = require('../lib/common');
const { generate, exclusive } = require('../lib/bad-calls');
const { makeValue } = require('../lib/bad-values');

const [modName, seedArg, countArg, excludedArg = ''] = process.argv.slice(2);
const mod = loadModule(modName);
const excluded = new Set(excludedArg.split(',').filter(Boolean).map(Number));
const cases = generate(Number(seedArg), Number(countArg)).filter((c) => !excluded.has(c.i));

// Bounds: every case gets at least MIN_MS for async events (all timeouts drawn are
// <= 1.5 ms or overflow to 1 ms, so they fire inside it), and at most MAX_MS while
// a connect or listen it started is still pending.
const MIN_MS = 30;
const MAX_MS = 1500;
// One at a time when the parent is pinning a crash or hang on one case.
const CONCURRENCY = Number(process.env.RELIABILITY_CONCURRENCY) || 16;

const ctx = { tmp: tmpDir('bad'), livePort: 0, deadPort: 0, deadPort2: 0, record: null };
const inflight = new Set();

function norm(s) {
  if (typeof s !== 'string') return s;
  // Ports and the temp dir differ from run to run and module to module; nothing else may.
  // Each case has its own directory (<tmp>/c<i>): a socket file one case leaves
  // behind must not change what a later case sees (a child restarted after a crash
  // starts with an empty directory, so history would differ between modules).
  let out = s.replace(new RegExp(`${ctx.tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/[cs]\\d+)?`, 'g'), '<TMP>');
  for (const p of [ctx.livePort, ctx.deadPort, ctx.deadPort2]) out = out.split(String(p)).join('<PORT>');
  return out.length > 300 ? `${out.slice(0, 300)}…(${out.length})` : out;
}

// A compact, run-independent summary of a value (returned, or passed to a callback).
function summary(v, self) {
  if (v === self && self !== undefined) return 'this';
  if (v === null) return 'null';
  if (v instanceof Error) return `Error(${v.code || v.name})`;
  if (v instanceof builtin.Socket || (mod.Socket && v instanceof mod.Socket)) return 'Socket';
  if (v instanceof builtin.Server || (mod.Server && v instanceof mod.Server)) return 'Server';
  if (Array.isArray(v)) return `[${v.map((x) => summary(x)).join(',')}]`;
  if (typeof v === 'object') {
    // address() objects: ports are ephemeral, so only their type is compared.
    return `{${Object.keys(v).sort().map((k) => `${k}:${k === 'port' ? typeof v[k] : typeof v[k] === 'object' ? typeof v[k] : norm(String(v[k]))}`).join(',')}}`;
  }
  if (typeof v === 'function') return 'function';
  if (typeof v === 'symbol') return 'symbol';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return `'${norm(v)}'`;
  return String(v);
}

function errInfo(e) {
  if (!(e instanceof Error)) return { thrown: summary(e) };
  return { code: e.code, name: e.name, message: norm(e.message) };
}

// Records what an emitter emits, compactly: errors by code and syscall (their
// messages carry ports and addresses), other events by name.
const SOCKET_EVENTS = ['lookup', 'connect', 'ready', 'timeout', 'end', 'finish', 'error', 'close'];
const SERVER_EVENTS = ['listening', 'error', 'close'];
function watch(em, tag, events, state) {
  state.watched.push(em);
  for (const ev of events) {
    em.on(ev, (...a) => {
      // Settled: a socket once connected or closed (after an 'error' its 'close' is
      // awaited too: net emits it on the next tick, rsnet in the loop's close
      // phase, and under load the latter can miss a fixed window); a server once
      // listening, failed or closed.
      if (ev === 'close' || ev === 'connect' || (state.isServer(em) && /^(listening|error)$/.test(ev))) state.settled.add(em);
      if (ev === 'error') state.errored.add(em);
      if (ev === 'error') {
        const e = a[0];
        state.events.push(`${tag}:error:${e && e.code}:${e && e.syscall}`);
      } else if (ev === 'close') {
        state.events.push(`${tag}:close${a[0] ? '(hadError)' : ''}`);
      } else {
        state.events.push(`${tag}:${ev}`);
      }
    });
  }
}

function build(spec, cctx) {
  if (typeof spec === 'string') return spec === 'deadPort2' ? ctx.deadPort2 : makeValue(spec, cctx);
  if (spec.obj) {
    const o = {};
    for (const [k, v] of Object.entries(spec.obj)) o[k] = build(v, cctx);
    return o;
  }
  if (spec.arr) return spec.arr.map((x) => build(x, cctx));
  throw new Error('bad spec');
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));
function closed(em) {
  return new Promise((resolve) => {
    if (em.destroyed && em.closed) return resolve();
    em.once('close', resolve);
    setTimeout(resolve, 500);
  });
}

async function receiver(c) {
  if (c.on === 'socket') {
    // 'ended': our side has ended; the peer (allowHalfOpen) never ends its side, so
    // the socket stays half-open and stable. (A peer that answered our FIN would
    // auto-destroy the socket while the call under test runs: a race in net itself.)
    const s = new mod.Socket();
    if (c.state === 'fresh') return s;
    if (c.state === 'destroyed') {
      // Wait for the 'close' event itself, not `closed`: rsnet sets `closed` at once
      // and emits 'close' in the loop's close phase, and a late 'close' would land
      // in the call's events (and settle it early).
      const gone = new Promise((r) => { s.once('close', r); setTimeout(r, 500); });
      s.destroy();
      await gone;
      return s;
    }
    if (c.state === 'pipe') s.connect(ctx.livePath); else s.connect(ctx.livePort, '127.0.0.1');
    if (c.state === 'connecting') return s;
    await new Promise((r) => { s.once('connect', r); s.once('error', r); });
    if (c.state === 'ended') {
      s.end();
      await new Promise((r) => { s.once('finish', r); setTimeout(r, 500); });
    }
    return s;
  }
  if (c.on === 'server') {
    const srv = mod.createServer();
    if (c.state === 'fresh') return srv;
    if (c.state === 'listening-pipe') {
      const dir = path.join(ctx.tmp, `s${c.i}`);
      fs.mkdirSync(dir);
      await new Promise((r) => srv.listen(path.join(dir, 'srv.sock'), r));
      return srv;
    }
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    if (c.state === 'closed') await new Promise((r) => srv.close(r));
    return srv;
  }
  return mod;
}

function invoke(c, recv, args) {
  const m = c.target.replace(/^(socket|server)\./, '');
  if (c.on !== 'module') return recv[m](...args);
  if (c.target === 'new Server') return new mod.Server(...args);
  if (c.target === 'Server()') return mod.Server(...args);
  if (c.target === 'new Socket') return new mod.Socket(...args);
  if (c.target.startsWith('setDefault')) {
    // Process-wide defaults: restore them at once so later cases see the usual ones.
    const fam = mod.getDefaultAutoSelectFamily();
    const to = mod.getDefaultAutoSelectFamilyAttemptTimeout();
    try { return mod[c.target](...args); } finally {
      mod.setDefaultAutoSelectFamily(fam);
      mod.setDefaultAutoSelectFamilyAttemptTimeout(to);
    }
  }
  return mod[c.target](...args);
}

async function runCase(c) {
  process.stdout.write(`S ${c.i}\n`);
  inflight.add(c.i);
  const state = { events: [], watched: [], settled: new Set(), errored: new Set(), isServer: (em) => em instanceof mod.Server };
  const out = { i: c.i };
  const tStart = Date.now();
  let recv;
  try {
    recv = await receiver(c);
  } catch (e) {
    out.setup = errInfo(e);
  }
  if (recv !== mod && recv) watch(recv, c.on === 'socket' ? 'recv' : 'srv', c.on === 'socket' ? SOCKET_EVENTS : SERVER_EVENTS, state);
  let calls = 0;
  const cbArgs = [];
  ctx.record = function record(...a) { calls++; cbArgs.push(a.map((x) => summary(x, recv))); };
  const myRecord = ctx.record;
  let args;
  try {
    const cctx = { ...ctx, tmp: path.join(ctx.tmp, `c${c.i}`) };
    fs.mkdirSync(cctx.tmp);
    args = c.args.map((a) => build(a, cctx));
  } catch (e) {
    out.build = errInfo(e);
  }
  // The callback recorder must be this case's, even when cases interleave.
  if (args) args = args.map((a) => (a === myRecord ? (...x) => myRecord(...x) : a));
  let pendingListen = false;
  if (args) {
    try {
      const ret = invoke(c, recv, args);
      out.ret = summary(ret, recv === mod ? undefined : recv);
      if (ret && ret !== recv && typeof ret.on === 'function' && (ret instanceof mod.Socket || ret instanceof mod.Server)) {
        watch(ret, ret instanceof mod.Socket ? 'ret' : 'retsrv', ret instanceof mod.Socket ? SOCKET_EVENTS : SERVER_EVENTS, state);
      }
      pendingListen = c.target === 'server.listen';
    } catch (e) {
      out.threw = errInfo(e);
    }
  }
  await wait(MIN_MS);
  const t0 = Date.now();
  // Still pending: a connect or listen this call started (it did not throw) that has
  // neither succeeded nor failed yet.
  // (A socket that was connecting before the call is waited for even if the call
  // threw: its 'connect' must land inside the window for both modules.)
  const pending = () => state.watched.some((em) => !state.settled.has(em) && (state.errored.has(em) ||
    (em instanceof mod.Socket && em.connecting) || (!out.threw && pendingListen && em instanceof mod.Server)));
  while (pending() && Date.now() - t0 < MAX_MS) await wait(5);
  // One more loop turn after the last settle: what the settling event set off (a FIN
  // queued behind a connect, its 'finish' and 'close') may complete a turn later on a
  // busy loop, in net as in rsnet; the window must not cut between them.
  await new Promise((r) => setImmediate(r));
  await wait(5);
  out.events = state.events.slice();
  out.cb = cbArgs;
  out.calls = calls;
  // Clean up: nothing of this case may outlive it.
  for (const em of state.watched) {
    em.on('error', () => {});
    try {
      if (em instanceof mod.Server) { if (em.listening) em.close(); } else em.destroy();
    } catch (e) { out.cleanup = errInfo(e); }
  }
  await Promise.all(state.watched.filter((em) => em instanceof mod.Socket).map(closed));
  inflight.delete(c.i);
  out.ms = Date.now() - tStart; // not compared: for finding slow cases
  process.stdout.write(`C ${c.i} ${JSON.stringify(out)}\n`);
}

// An exception escaping to the event loop would end the child; it is caught and
// reported (U line) with the cases in flight. The parent compares them with net's:
// with several cases in flight it cannot always tell which one threw.
process.on('uncaughtException', (e) => {
  process.stdout.write(`U ${JSON.stringify({ inflight: [...inflight], err: errInfo(e) })}\n`);
});
// So a warning (TimeoutOverflowWarning, deprecations) is not printed per case.
process.removeAllListeners('warning');
process.on('warning', () => {});

// listen(hugeString) binds a relative path cut to sun_path's 108 bytes, in the cwd,
// and the file stays after close (neither libuv nor rsnet can unlink the long name).
// Whether a later connect(hugeString) finds it (ECONNREFUSED) or not (ENOENT) would then
// depend on the order cases ran in, which a crash's rerun changes (net's children abort
// on a few cases and their suspects rerun last). Each listen case, which runs alone,
// removes it after itself, so every case starts without it.
function removeHugeStringSocket() {
  for (const name of fs.readdirSync('.')) {
    if (/^a+$/.test(name)) fs.rmSync(name, { force: true });
  }
}

async function main() {
  removeHugeStringSocket();
  const helper = builtin.createServer({ allowHalfOpen: true }, (s) => { helperConns.add(s); s.on('error', () => {}); s.on('close', () => helperConns.delete(s)); s.resume(); });
  const helperConns = new Set();
  await new Promise((r) => helper.listen(0, '127.0.0.1', r));
  ctx.livePort = helper.address().port;
  // The same helper on a Unix socket, for the 'pipe' state.
  const helperPipe = builtin.createServer({ allowHalfOpen: true }, (s) => { helperConns.add(s); s.on('error', () => {}); s.on('close', () => helperConns.delete(s)); s.resume(); });
  ctx.livePath = path.join(ctx.tmp, 'helper.sock');
  await new Promise((r) => helperPipe.listen(ctx.livePath, r));
  for (const k of ['deadPort', 'deadPort2']) {
    const s = builtin.createServer();
    await new Promise((r) => s.listen(0, '127.0.0.1', r));
    ctx[k] = s.address().port;
    await new Promise((r) => s.close(r));
  }
  const queue = cases.slice();
  // Exclusive cases run alone: wait for the shared ones in flight, then run.
  const running = new Set();
  while (queue.length) {
    const c = queue.shift();
    if (exclusive(c)) {
      await Promise.all(running);
      await runCase(c);
      removeHugeStringSocket();
      continue;
    }
    const p = runCase(c).finally(() => running.delete(p));
    running.add(p);
    if (running.size >= CONCURRENCY) await Promise.race(running);
  }
  await Promise.all(running);
  for (const s of helperConns) s.destroy();
  helper.close();
  helperPipe.close();
  fs.rmSync(ctx.tmp, { recursive: true, force: true });
  process.stdout.write('DONE\n');
}
main();
