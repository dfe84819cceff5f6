'use strict';
// The benchmark modes: what runs, what drives it, and which metrics come out.
// kind says who is under test:
//   server      the JS echo server (or the Rust ceiling server), driven by loadgen
//   concurrent  same, but loadgen holds N connections while we sample memory
//   proxy       the JS proxy (or a Tokio proxy) in front of the Rust echo server
//   client      the JS client script (or loadgen itself) against the Rust echo server
// Every metric says which direction is better; cpu metrics are per unit of work
// (CPU seconds over the whole run divided by all operations, warm-up included).

const M = (key, label, better) => ({ key, label, better });

const LATENCY = [M('p50_us', 'latency p50 (µs)', 'lower'), M('p99_us', 'latency p99 (µs)', 'lower')];

const serverCpu = (unit) => [
  M('cpu_per_op', `server CPU per ${unit}`, 'lower'),
  M('js_cpu_per_op', `  of which JS thread`, 'lower'),
  M('cpu_s', 'server CPU s (whole run)', 'lower'),
];

const MODES = [
  {
    name: 'pingpong-1',
    kind: 'server',
    driver: ['pingpong', '--conns', '1', '--size', '64', '--threads', '1'],
    unit: 'rt',
    metrics: [M('rt_per_s', 'round trips/s', 'higher'), ...LATENCY, ...serverCpu('round trip (µs)')],
  },
  {
    name: 'pingpong-1-pinned',
    kind: 'server',
    pin: true, // server and loadgen share CPU 0: no help from a second core
    driver: ['pingpong', '--conns', '1', '--size', '64', '--threads', '1'],
    unit: 'rt',
    metrics: [M('rt_per_s', 'round trips/s', 'higher'), ...LATENCY, ...serverCpu('round trip (µs)')],
  },
  {
    name: 'pingpong-64',
    kind: 'server',
    driver: ['pingpong', '--conns', '64', '--size', '64'],
    unit: 'rt',
    metrics: [M('rt_per_s', 'round trips/s', 'higher'), ...LATENCY, ...serverCpu('round trip (µs)')],
  },
  {
    name: 'stream',
    kind: 'server',
    driver: ['stream', '--conns', '1', '--chunk', '65536'],
    unit: 'GB',
    metrics: [M('mb_per_s', 'MB/s echoed', 'higher'), ...serverCpu('GB (s)')],
  },
  {
    name: 'concurrent',
    kind: 'concurrent',
    conns: 10000,
    metrics: [
      M('establish_ms', 'time to establish (ms)', 'lower'),
      M('peak_rss_mb', 'server peak RSS (MB)', 'lower'),
      M('kb_per_conn', 'server RSS per held conn (KB)', 'lower'),
      M('cpu_s', 'server CPU s to establish', 'lower'),
      M('js_cpu_s', '  of which JS thread', 'lower'),
    ],
  },
  {
    name: 'churn',
    kind: 'server',
    driver: ['churn', '--conns', '16'],
    unit: 'conn',
    metrics: [M('conn_per_s', 'connections/s', 'higher'), ...serverCpu('connection (µs)')],
  },
  {
    name: 'proxy',
    kind: 'proxy',
    driver: ['stream', '--conns', '1', '--chunk', '65536'],
    unit: 'GB',
    metrics: [
      M('mb_per_s', 'MB/s through proxy', 'higher'),
      M('cpu_per_op', 'proxy CPU s per GB', 'lower'),
      M('js_cpu_per_op', '  of which JS thread', 'lower'),
    ],
  },
  {
    name: 'client-pingpong',
    kind: 'client',
    script: 'client-pingpong.js',
    scriptArgs: ['--size', '64'],
    ceiling: ['pingpong', '--conns', '1', '--size', '64', '--threads', '1'],
    unit: 'rt',
    metrics: [
      M('rt_per_s', 'round trips/s', 'higher'),
      ...LATENCY,
      M('cpu_per_op', 'client CPU per round trip (µs)', 'lower'),
      M('js_cpu_per_op', '  of which JS thread', 'lower'),
    ],
  },
  {
    name: 'client-stream',
    kind: 'client',
    script: 'client-stream.js',
    scriptArgs: ['--chunk', '65536'],
    ceiling: ['stream', '--conns', '1', '--chunk', '65536'],
    unit: 'GB',
    metrics: [
      M('mb_per_s', 'MB/s echoed', 'higher'),
      M('cpu_per_op', 'client CPU s per GB', 'lower'),
      M('js_cpu_per_op', '  of which JS thread', 'lower'),
    ],
  },
];

// CPU seconds per unit of work: µs per round trip / connection, s per GB.
function perUnit(cpuS, opsTotal, unit) {
  if (cpuS == null || !Number.isFinite(cpuS) || !opsTotal) return null;
  return unit === 'GB' ? cpuS / (opsTotal / 1e9) : (cpuS / opsTotal) * 1e6;
}

module.exports = { MODES, perUnit };
