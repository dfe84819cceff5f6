'use strict';
// Runs ONE measurement: one mode, one implementation, one round. Starts what the
// mode needs, pins each process to its CPU, drives it, samples /proc of the process
// under test, and always stops every child it started (also when something fails).
const fs = require('node:fs');
const path = require('node:path');
const { start, nextJson, runToEnd, stop, readCpu, readMem, describe, sleep } = require('./procs');
const { perUnit } = require('./modes');
const { BENCH } = require('./system');
const { certificateDir } = require('../tls-cert');
const { otherThreads, readStat } = require('../proc-stat');

const WRK_LUA = path.join(BENCH, 'wrk-report.lua');

// The CPUs of the two sides for a mode: { test, load }, or null when not pinned.
function cpusFor(ctx, mode) {
  if (!ctx.pin) return null;
  return mode.sameCpu ? { test: ctx.pin.test, load: ctx.pin.test } : ctx.pin;
}

// The CPU seconds a process has used, sampled every 50 ms until it exits (its /proc
// entry goes with it): wrk's own CPU, to show whether the load set the rate. The
// last 50 ms may be missed, under 2% of a measured run.
function lastCpuOf(c, clkTck) {
  let last = 0;
  const sample = () => {
    const now = readStat(`/proc/${c.pid}/stat`, clkTck).s;
    if (Number.isFinite(now)) last = now; // NaN once it is gone: keep the last reading
  };
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      return last;
    },
  };
}

// ctx: { loadgen, wrk, clkTck, duration, warmup, stall, hold, concurrentConns, pin }
// impl: { id, module, driver }  (module null = the plain-Rust ceiling)
async function measure(ctx, mode, impl) {
  const started = [];
  const life = ctx.warmup + ctx.duration + ctx.stall + 30; // hard cap (s) for any child of this run
  const cpus = cpusFor(ctx, mode);
  // A pinned process has one CPU: loadgen then runs one thread (a current-thread runtime).
  const threads = cpus ? ['--threads', '1'] : [];
  // TLS modes: one certificate for the measurement, which the servers present and
  // the clients trust.
  const tlsDir = mode.tls ? certificateDir() : null;
  const tlsEnv = tlsDir ? { RSNET_BENCH_TLS_DIR: tlsDir } : {};
  const env = impl.module ? { ...process.env, RSNET_BENCH_MODULE: impl.module, RSNET_BENCH_MAX_SECONDS: String(life), ...tlsEnv } : { ...process.env };
  delete env.RSNET_DRIVER;
  if (impl.driver) env.RSNET_DRIVER = impl.driver;
  // A JS fixed peer (load or upstream) always runs built-in net/tls/https.
  const peerEnv = { ...process.env, RSNET_BENCH_MODULE: 'net', RSNET_BENCH_MAX_SECONDS: String(life), ...tlsEnv };
  delete peerEnv.RSNET_DRIVER;
  // role: 'test' (the process under test) or 'load' (everything that drives or answers it).
  const spawn = (label, argv, role, opts = {}) => {
    const c = start(label, argv, { timeoutS: life, pinCpu: cpus ? cpus[role] : null, ...opts });
    started.push(c);
    return c;
  };
  const checkDriver = (what, info) => {
    if (impl.driver && info.driver && info.driver !== impl.driver) {
      throw new Error(`${what} runs rsnet's ${info.driver} driver, not ${impl.driver} (RSNET_DRIVER=${impl.driver})`);
    }
    // The TLS scripts check every connection themselves; one that stopped saying
    // fails here. (RSNET_BENCH_TLS=node makes https-server.js run Node's TLS over
    // rsnet sockets, by hand, for a before/after figure.)
    const nodeOverRsnet = mode.kind === 'http-server' && process.env.RSNET_BENCH_TLS === 'node';
    const tls = impl.module !== 'rsnet' ? 'node' : nodeOverRsnet ? 'node-over-rsnet' : 'rsnet-native';
    if (mode.tls && info.tls !== tls) throw new Error(`${what} runs ${info.tls || 'an unreported'} TLS, not ${tls}`);
  };
  // The server under test, which prints {"port":P} once listening: a JS script, or loadgen.
  const subjectServer = async (label, jsArgs, rustArgs) => {
    const argv = impl.module ? [process.execPath, ...jsArgs] : [ctx.loadgen, ...rustArgs, ...threads, '--stdin-watch', '--max-seconds', String(life)];
    const c = spawn(label, argv, 'test', { env });
    const info = await nextJson(c, 30);
    checkDriver(label, info);
    return { c, port: info.port };
  };
  // A fixed plain-Rust server on the load side (upstream of the proxy and client modes).
  const loadServer = async (args) => {
    const c = spawn(`upstream rust ${args[0]}`, [ctx.loadgen, ...args, ...threads, '--stdin-watch', '--max-seconds', String(life)], 'load');
    const info = await nextJson(c, 30);
    return { c, port: info.port };
  };
  // A fixed peer in JS on the load side (built-in modules): `args` is a script and its options.
  const jsPeer = (label, args, extra = []) => spawn(label, [process.execPath, path.join(BENCH, args[0]), ...args.slice(1), ...extra], 'load', { env: peerEnv });
  // The share of one CPU that process `c` used between two readings.
  const busy = (c, before, t0) => (readCpu(c.pid, ctx.clkTck).proc - before.proc) / ((Date.now() - t0) / 1000);
  const timing = ['--duration', String(ctx.duration), '--warmup', String(ctx.warmup), '--stall', String(ctx.stall)];
  const alive = (s) => {
    if (s.c.exited) throw new Error(describe(s.c, 'died during the run'));
  };
  // others: the threads besides the JS one ({ byName, busiest } seconds, proc-stat.js),
  // reported per unit of work: which thread a driver's work went to, and how much
  // the busiest of them could take on a core of its own.
  const withCpu = (out, cpu, jsCpu, ops, others = null) => ({
    ...out,
    cpu_s: cpu,
    js_cpu_s: jsCpu,
    cpu_per_op: perUnit(cpu, ops, mode.unit),
    js_cpu_per_op: perUnit(jsCpu, ops, mode.unit),
    ...(others && {
      busiest_other_per_op: perUnit(others.busiest, ops, mode.unit),
      other_threads_per_op: Object.fromEntries(Object.entries(others.byName).map(([n, s]) => [n, perUnit(s, ops, mode.unit)])),
    }),
  });
  // The other threads of the process under test between two readCpu() samples.
  const othersOf = (c, before, after) => otherThreads(before.threads, after.threads, c.pid);

  try {
    if (mode.kind === 'server' || mode.kind === 'proxy') {
      let subject;
      if (mode.kind === 'server') {
        subject = await subjectServer(`${impl.id} echo-server`, [path.join(BENCH, 'echo-server.js')], ['echo-server']);
      } else {
        const up = await loadServer(['echo-server']);
        subject = await subjectServer(`${impl.id} proxy`, [path.join(BENCH, 'proxy.js'), '--upstream', String(up.port)], ['proxy', '--upstream', String(up.port)]);
      }
      const before = readCpu(subject.c.pid, ctx.clkTck);
      const driver = spawn('loadgen', [ctx.loadgen, ...mode.driver, ...threads, ...timing, '--port', String(subject.port)], 'load');
      const out = await runToEnd(driver);
      alive(subject);
      const after = readCpu(subject.c.pid, ctx.clkTck);
      return withCpu(out, after.proc - before.proc, impl.module ? after.main - before.main : null, out.ops_total, othersOf(subject.c, before, after));
    }

    if (mode.kind === 'concurrent') {
      const subject = await subjectServer(`${impl.id} echo-server`, [path.join(BENCH, 'echo-server.js')], ['echo-server']);
      await sleep(200); // let start-up allocation settle before the idle sample
      const idle = readMem(subject.c.pid);
      const before = readCpu(subject.c.pid, ctx.clkTck);
      const n = ctx.concurrentConns;
      const args = ['concurrent', '--conns', String(n), '--parallel', '256', '--stall', String(ctx.stall), '--hold', '120', '--stdin-watch', ...threads];
      const driver = spawn('loadgen', [ctx.loadgen, ...args, '--port', String(subject.port)], 'load');
      const out = await nextJson(driver, life);
      const after = readCpu(subject.c.pid, ctx.clkTck);
      await sleep(ctx.hold * 1000); // all connections are held open now
      alive(subject);
      const mem = readMem(subject.c.pid);
      await stop(driver);
      const loadCpu = out.cpu_s;
      return {
        ...withCpu(out, after.proc - before.proc, impl.module ? after.main - before.main : null, n),
        load_cpu_s: loadCpu,
        idle_rss_mb: idle.rssMB,
        held_rss_mb: mem.rssMB,
        peak_rss_mb: mem.hwmMB,
        kb_per_conn: ((mem.rssMB - idle.rssMB) * 1024) / n,
      };
    }

    if (mode.kind === 'http-server') {
      const size = ['--size', String(mode.size)];
      const script = mode.tls ? 'https-server.js' : 'http-server.js';
      if (mode.tls && !ctx.wrk) throw new Error(`${mode.name} needs wrk (loadgen's HTTP client speaks no TLS)`);
      const subject = await subjectServer(`${impl.id} ${script}`, [path.join(BENCH, script), ...size], ['http-server', ...size]);
      if (!ctx.wrk) {
        // No wrk: loadgen's HTTP/1.1 keep-alive client is the load (same requests, checks every body).
        const before = readCpu(subject.c.pid, ctx.clkTck);
        const args = ['http', '--conns', String(mode.conns), ...size, ...threads, ...timing, '--port', String(subject.port)];
        const out = await runToEnd(spawn('loadgen http', [ctx.loadgen, ...args], 'load'));
        alive(subject);
        const after = readCpu(subject.c.pid, ctx.clkTck);
        return withCpu({ ...out, tool: 'loadgen' }, after.proc - before.proc, impl.module ? after.main - before.main : null, out.ops_total);
      }
      const url = `${mode.tls ? 'https' : 'http'}://127.0.0.1:${subject.port}/`;
      // One TLS handshake per request: wrk reconnects after each answer.
      const wrkExtra = mode.close ? ['-H', 'Connection: close'] : [];
      // wrk takes whole seconds and has no warm-up: the warm-up is an unmeasured
      // `loadgen http` run of the same shape (which also checks every body), or for
      // TLS an unmeasured wrk run, then wrk's measured run; CPU is sampled around the
      // measured run only.
      if (ctx.warmup > 0 && mode.tls) {
        await runToEnd(spawn('wrk (warm-up)', [ctx.wrk, '-t1', `-c${mode.conns}`, `-d${Math.max(1, Math.round(ctx.warmup))}s`, ...wrkExtra, '-s', WRK_LUA, url], 'load'));
      } else if (ctx.warmup > 0) {
        const args = ['http', '--conns', String(mode.conns), ...size, ...threads, '--duration', String(ctx.warmup), '--warmup', '0', '--stall', String(ctx.stall)];
        await runToEnd(spawn('loadgen http (warm-up)', [ctx.loadgen, ...args, '--port', String(subject.port)], 'load'));
      }
      const seconds = Math.max(1, Math.round(ctx.duration));
      const before = readCpu(subject.c.pid, ctx.clkTck);
      const wrk = spawn('wrk', [ctx.wrk, '-t1', `-c${mode.conns}`, `-d${seconds}s`, '--timeout', `${ctx.stall}s`, ...wrkExtra, '-s', WRK_LUA, url], 'load');
      const wrkCpu = lastCpuOf(wrk, ctx.clkTck);
      const w = await runToEnd(wrk);
      alive(subject);
      const after = readCpu(subject.c.pid, ctx.clkTck);
      const errs = ['connect', 'read', 'write', 'status', 'timeout'].filter((k) => w[`err_${k}`] > 0).map((k) => `${w[`err_${k}`]} ${k}`);
      if (errs.length) throw new Error(`wrk saw errors: ${errs.join(', ')} (of ${w.requests} requests)`);
      if (!(w.requests > 0)) throw new Error(`wrk completed no request in ${(w.duration_us / 1e6).toFixed(1)}s over ${mode.conns} connections, with no socket error: the server answered nothing (a stall?)`);
      if (w.bytes < w.requests * mode.size) throw new Error(`wrk read ${w.bytes} bytes for ${w.requests} responses of ${mode.size} bytes each`);
      const measured = w.duration_us / 1e6;
      const out = { ...w, duration_s: measured, ops_total: w.requests, req_per_s: w.requests / measured, peer_busy: wrkCpu.stop() / measured };
      return withCpu(out, after.proc - before.proc, impl.module ? after.main - before.main : null, w.requests, othersOf(subject.c, before, after));
    }

    if (mode.kind === 'tls-server') {
      const subject = await subjectServer(`${impl.id} ${mode.script}`, [path.join(BENCH, mode.script)], null);
      const before = readCpu(subject.c.pid, ctx.clkTck);
      const load = spawn('load loadgen', [ctx.loadgen, ...mode.driver, ...threads, ...timing, '--port', String(subject.port), '--tls-ca', path.join(tlsDir, 'cert.pem')], 'load');
      const out = await runToEnd(load);
      if (out.tls !== true) throw new Error('loadgen did not speak TLS');
      alive(subject);
      const after = readCpu(subject.c.pid, ctx.clkTck);
      // The load reports its own CPU (the whole run, handshake included).
      const loadBusy = out.cpu_s / (ctx.warmup + ctx.duration);
      return { ...withCpu(out, after.proc - before.proc, after.main - before.main, out.ops_total, othersOf(subject.c, before, after)), peer_busy: loadBusy };
    }

    if (mode.kind === 'client') {
      let up;
      if (mode.upstreamScript) {
        const c = jsPeer(`upstream ${mode.upstreamScript[0]}`, mode.upstreamScript);
        up = { c, port: (await nextJson(c, 30)).port };
      } else {
        up = await loadServer(mode.upstream);
      }
      const port = ['--port', String(up.port)];
      const upBefore = readCpu(up.c.pid, ctx.clkTck);
      const t0 = Date.now();
      let out;
      if (impl.module) {
        out = await runToEnd(spawn(`${impl.id} ${mode.script}`, [process.execPath, path.join(BENCH, mode.script), ...mode.scriptArgs, ...timing, ...port], 'test', { env }));
        checkDriver(mode.script, out);
      } else {
        out = await runToEnd(spawn('loadgen', [ctx.loadgen, ...mode.ceiling, ...threads, ...timing, ...port], 'test'));
      }
      alive(up);
      const peerBusy = busy(up.c, upBefore, t0);
      const others = out.other_threads_s ? { byName: out.other_threads_s, busiest: out.busiest_other_s } : null;
      return { ...withCpu(out, out.cpu_s, impl.module ? out.js_cpu_s : null, out.ops_total, others), peer_busy: peerBusy };
    }
    throw new Error(`unknown mode kind ${mode.kind}`);
  } catch (err) {
    // Name every other child that died on its own: the root cause is often there
    // (e.g. the server under test crashed, and loadgen only saw a reset).
    const dead = started.filter((c) => c.exited && (c.exited.code !== 0 || c.exited.signal) && !String(err.message).startsWith(c.label));
    throw new Error([err.message, ...dead.map((c) => describe(c, 'also'))].join('; '));
  } finally {
    await Promise.all(started.reverse().map(stop));
    if (tlsDir) fs.rmSync(tlsDir, { recursive: true, force: true });
  }
}

module.exports = { measure, cpusFor };
