'use strict';
// Runs ONE measurement: one mode, one implementation, one round. Starts what the
// mode needs, drives it, samples /proc of the process under test, and always
// stops every child it started (also when something fails).
const path = require('node:path');
const { start, nextJson, runToEnd, stop, readCpu, readMem, describe, sleep } = require('./procs');
const { perUnit } = require('./modes');
const { BENCH } = require('./system');

// ctx: { loadgen, clkTck, duration, warmup, stall, hold, concurrentConns }
// impl: { id, module }  (module null = the plain-Rust ceiling)
async function measure(ctx, mode, impl) {
  const started = [];
  const life = ctx.warmup + ctx.duration + ctx.stall + 30; // hard cap (s) for any child of this run
  const spawn = (label, argv, opts = {}) => {
    const c = start(label, argv, { timeoutS: life, ...opts });
    started.push(c);
    return c;
  };
  // A server that prints {"port":P} once listening: JS script under test, or loadgen.
  const server = async (label, jsArgs, rustArgs, pinCpu = null) => {
    const argv = impl.module && jsArgs ? [process.execPath, ...jsArgs] : [ctx.loadgen, ...rustArgs, '--stdin-watch', '--max-seconds', String(life)];
    const env = { ...process.env, RSNET_BENCH_MODULE: impl.module || 'net', RSNET_BENCH_MAX_SECONDS: String(life) };
    const c = spawn(label, argv, { env, pinCpu });
    const info = await nextJson(c, 30);
    return { c, port: info.port };
  };
  const rustEcho = () => server('upstream rust echo-server', null, ['echo-server']);
  const timing = ['--duration', String(ctx.duration), '--warmup', String(ctx.warmup), '--stall', String(ctx.stall)];
  const alive = (s) => {
    if (s.c.exited) throw new Error(describe(s.c, 'died during the run'));
  };

  try {
    if (mode.kind === 'server' || mode.kind === 'proxy') {
      const pin = mode.pin ? 0 : null;
      let subject;
      if (mode.kind === 'server') {
        subject = await server(`${impl.id} echo-server`, [path.join(BENCH, 'echo-server.js')], ['echo-server'], pin);
      } else {
        const up = await rustEcho();
        subject = await server(`${impl.id} proxy`, [path.join(BENCH, 'proxy.js'), '--upstream', String(up.port)], ['proxy', '--upstream', String(up.port)]);
      }
      const before = readCpu(subject.c.pid, ctx.clkTck);
      const driver = spawn('loadgen', [ctx.loadgen, ...mode.driver, ...timing, '--port', String(subject.port)], { pinCpu: pin });
      const out = await runToEnd(driver);
      alive(subject);
      const after = readCpu(subject.c.pid, ctx.clkTck);
      const cpu = after.proc - before.proc;
      const jsCpu = impl.module ? after.main - before.main : null;
      return {
        ...out,
        cpu_s: cpu,
        js_cpu_s: jsCpu,
        cpu_per_op: perUnit(cpu, out.ops_total, mode.unit),
        js_cpu_per_op: perUnit(jsCpu, out.ops_total, mode.unit),
      };
    }

    if (mode.kind === 'concurrent') {
      const subject = await server(`${impl.id} echo-server`, [path.join(BENCH, 'echo-server.js')], ['echo-server']);
      await sleep(200); // let start-up allocation settle before the idle sample
      const idle = readMem(subject.c.pid);
      const before = readCpu(subject.c.pid, ctx.clkTck);
      const n = ctx.concurrentConns;
      const driver = spawn('loadgen', [ctx.loadgen, 'concurrent', '--conns', String(n), '--parallel', '256', '--stall', String(ctx.stall), '--hold', '120', '--stdin-watch', '--port', String(subject.port)]);
      const out = await nextJson(driver, life);
      const after = readCpu(subject.c.pid, ctx.clkTck);
      await sleep(ctx.hold * 1000); // all connections are held open now
      alive(subject);
      const mem = readMem(subject.c.pid);
      await stop(driver);
      return {
        ...out,
        idle_rss_mb: idle.rssMB,
        held_rss_mb: mem.rssMB,
        peak_rss_mb: mem.hwmMB,
        kb_per_conn: ((mem.rssMB - idle.rssMB) * 1024) / n,
        cpu_s: after.proc - before.proc,
        js_cpu_s: impl.module ? after.main - before.main : null,
      };
    }

    if (mode.kind === 'client') {
      const up = await rustEcho();
      const port = ['--port', String(up.port)];
      let out;
      if (impl.module) {
        const env = { ...process.env, RSNET_BENCH_MODULE: impl.module, RSNET_BENCH_MAX_SECONDS: String(life) };
        out = await runToEnd(spawn(`${impl.id} ${mode.script}`, [process.execPath, path.join(BENCH, mode.script), ...mode.scriptArgs, ...timing, ...port], { env }));
      } else {
        out = await runToEnd(spawn('loadgen', [ctx.loadgen, ...mode.ceiling, ...timing, ...port]));
      }
      alive(up);
      const jsCpu = impl.module ? out.js_cpu_s : null;
      return {
        ...out,
        js_cpu_s: jsCpu,
        cpu_per_op: perUnit(out.cpu_s, out.ops_total, mode.unit),
        js_cpu_per_op: perUnit(jsCpu, out.ops_total, mode.unit),
      };
    }
    throw new Error(`unknown mode kind ${mode.kind}`);
  } catch (err) {
    // Name every other child that died on its own: the root cause is often there
    // (e.g. the server under test crashed, and loadgen only saw a reset).
    const dead = started.filter((c) => c.exited && (c.exited.code !== 0 || c.exited.signal) && !String(err.message).startsWith(c.label));
    throw new Error([err.message, ...dead.map((c) => describe(c, 'also'))].join('; '));
  } finally {
    await Promise.all(started.reverse().map(stop));
  }
}

module.exports = { measure };
