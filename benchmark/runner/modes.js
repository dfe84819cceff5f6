'use strict';
// The benchmark modes: what runs, what drives it, and which metrics come out.
// kind says who is under test:
//   server       the JS echo server (or the Rust ceiling server), driven by loadgen
//   concurrent   same, but loadgen holds N connections while we sample memory
//   proxy        the JS proxy (or a Tokio proxy) in front of the Rust echo server
//   client       the JS client script (or loadgen itself) against a fixed Rust server
//   http-server  Node's http.Server fed by the module under test (or the Rust HTTP
//                responder), driven by wrk (or `loadgen http` when wrk is missing)
//   tls-server   a JS TLS server, driven by loadgen over rustls (`stream --tls-ca`);
//                the same load for every column
// A client mode with `upstreamScript` has a JS fixed peer (built-in https/tls, as
// RSNET_BENCH_MODULE=net) instead of a loadgen server. `tls` modes get a certificate
// made for the measurement (RSNET_BENCH_TLS_DIR, tls-cert.js); TLS modes have no
// Rust ceiling (noCeiling).
// Pinning (unless --pin none): the process under test gets one CPU ("test"), every
// load process (loadgen, wrk, the fixed upstream servers) the other ("load").
// sameCpu modes put both sides on the test CPU.
// Every metric says which direction is better; cpu metrics are per unit of work.

const M = (key, label, better) => ({ key, label, better });

const LATENCY = [M('p50_us', 'latency p50 (µs)', 'lower'), M('p99_us', 'latency p99 (µs)', 'lower')];

const cpu = (who, unit, whole = true) => [
  M('cpu_per_op', `${who} CPU per ${unit}`, 'lower'),
  M('js_cpu_per_op', `  of which JS thread`, 'lower'),
  ...(whole ? [M('cpu_s', `${who} CPU s (whole run)`, 'lower')] : []),
];
// The TLS modes also show the busiest thread besides the JS one (rsnet's I/O thread
// under the threaded driver): with a core of its own, the rate can reach 1 / that.
const cpuByThread = (who, unit) => [...cpu(who, unit).slice(0, 2), M('busiest_other_per_op', '  busiest other thread', 'lower'), ...cpu(who, unit).slice(2)];

const PINGPONG_1 = ['pingpong', '--conns', '1', '--size', '64', '--threads', '1'];
const HTTP_SMALL = 13; // bytes of body: a "Hello, World!"-sized response
const HTTP_LARGE = 65536;
const HTTP_CONNS = 64;
const TLS_HANDSHAKES_IN_FLIGHT = 4;

// How busy the fixed peer (load or upstream) was, as a share of one CPU: near 1
// pinned, the peer and not the process under test set the rate.
const PEER_BUSY = M('peer_busy', 'fixed peer CPU use (1 = one CPU)', 'info');

const MODES = [
  {
    name: 'pingpong-1',
    kind: 'server',
    driver: PINGPONG_1,
    unit: 'rt',
    metrics: [M('rt_per_s', 'round trips/s', 'higher'), ...LATENCY, ...cpu('server', 'round trip (µs)')],
  },
  {
    name: 'pingpong-1-same-cpu',
    kind: 'server',
    sameCpu: true, // server and loadgen share the test CPU: no help from a second core
    driver: PINGPONG_1,
    unit: 'rt',
    metrics: [M('rt_per_s', 'round trips/s', 'higher'), ...LATENCY, ...cpu('server', 'round trip (µs)')],
  },
  {
    name: 'pingpong-64',
    kind: 'server',
    driver: ['pingpong', '--conns', '64', '--size', '64'],
    unit: 'rt',
    metrics: [M('rt_per_s', 'round trips/s', 'higher'), ...LATENCY, ...cpu('server', 'round trip (µs)')],
  },
  {
    name: 'stream',
    kind: 'server',
    driver: ['stream', '--conns', '1', '--chunk', '65536'],
    unit: 'GB',
    metrics: [M('mb_per_s', 'MB/s echoed', 'higher'), ...cpu('server', 'GB (s)')],
  },
  {
    name: 'concurrent',
    kind: 'concurrent',
    unit: 'conn',
    metrics: [
      M('establish_ms', 'time to establish (ms)', 'lower'),
      M('peak_rss_mb', 'server peak RSS (MB)', 'lower'),
      M('kb_per_conn', 'server RSS per held conn (KB)', 'lower'),
      ...cpu('server', 'connection (µs)', false),
      M('cpu_s', 'server CPU s to establish', 'lower'),
    ],
  },
  {
    name: 'churn',
    kind: 'server',
    driver: ['churn', '--conns', '16'],
    unit: 'conn',
    metrics: [M('conn_per_s', 'connections/s', 'higher'), ...cpu('server', 'connection (µs)')],
  },
  {
    name: 'proxy',
    kind: 'proxy',
    driver: ['stream', '--conns', '1', '--chunk', '65536'],
    unit: 'GB',
    metrics: [M('mb_per_s', 'MB/s through proxy', 'higher'), ...cpu('proxy', 'GB (s)')],
  },
  {
    name: 'client-pingpong',
    kind: 'client',
    script: 'client-pingpong.js',
    scriptArgs: ['--size', '64'],
    ceiling: PINGPONG_1,
    upstream: ['echo-server'],
    unit: 'rt',
    metrics: [M('rt_per_s', 'round trips/s', 'higher'), ...LATENCY, ...cpu('client', 'round trip (µs)')],
  },
  {
    name: 'client-churn',
    kind: 'client',
    script: 'client-churn.js',
    scriptArgs: ['--size', '64'],
    ceiling: ['churn', '--conns', '1'],
    upstream: ['echo-server'],
    unit: 'conn',
    metrics: [M('conn_per_s', 'connections/s', 'higher'), ...cpu('client', 'connection (µs)')],
  },
  {
    name: 'client-stream',
    kind: 'client',
    script: 'client-stream.js',
    scriptArgs: ['--chunk', '65536'],
    ceiling: ['stream', '--conns', '1', '--chunk', '65536'],
    upstream: ['echo-server'],
    unit: 'GB',
    metrics: [M('mb_per_s', 'MB/s echoed', 'higher'), ...cpu('client', 'GB (s)')],
  },
  {
    name: 'http-server-hello',
    kind: 'http-server',
    size: HTTP_SMALL,
    conns: HTTP_CONNS,
    unit: 'req',
    metrics: [M('req_per_s', 'requests/s', 'higher'), ...LATENCY, ...cpu('server', 'request (µs)')],
  },
  {
    name: 'http-server-64k',
    kind: 'http-server',
    size: HTTP_LARGE,
    conns: HTTP_CONNS,
    unit: 'req',
    metrics: [M('req_per_s', 'requests/s', 'higher'), ...LATENCY, ...cpu('server', 'request (µs)')],
  },
  {
    // Node's http.Server behind TLS (https-server.js): keep-alive, so mostly record
    // encryption; and one handshake per request (`Connection: close`). wrk is the
    // load (loadgen's HTTP client speaks no TLS); no Rust ceiling.
    name: 'https-server-hello',
    kind: 'http-server',
    tls: true,
    noCeiling: true,
    size: HTTP_SMALL,
    conns: HTTP_CONNS,
    unit: 'req',
    metrics: [M('req_per_s', 'requests/s', 'higher'), ...LATENCY, ...cpuByThread('server', 'request (µs)'), PEER_BUSY],
  },
  {
    name: 'https-handshake',
    kind: 'http-server',
    tls: true,
    close: true,
    noCeiling: true,
    size: HTTP_SMALL,
    conns: 16,
    unit: 'req',
    metrics: [M('req_per_s', 'handshakes (requests)/s', 'higher'), ...LATENCY, ...cpuByThread('server', 'handshake (µs)'), PEER_BUSY],
  },
  {
    name: 'http-client',
    kind: 'client',
    script: 'http-client.js',
    scriptArgs: ['--size', String(HTTP_SMALL), '--conns', String(HTTP_CONNS)],
    ceiling: ['http', '--conns', String(HTTP_CONNS), '--size', String(HTTP_SMALL)],
    upstream: ['http-server', '--size', String(HTTP_SMALL)],
    unit: 'req',
    metrics: [M('req_per_s', 'requests/s', 'higher'), ...LATENCY, ...cpu('client', 'request (µs)')],
  },
  {
    // TLS bulk echo: the server under test is tls-echo-server.js (tls.createServer,
    // rsnet under rsnet/register with RSNET_TLS=native); the load is loadgen's stream
    // over rustls (`--tls-ca`), one connection, 64 KiB writes: a JS load on Node's TLS
    // costs as much per byte as the server and would set the rate itself.
    name: 'tls-stream',
    kind: 'tls-server',
    tls: true,
    noCeiling: true,
    script: 'tls-echo-server.js',
    driver: ['stream', '--conns', '1', '--chunk', '65536'],
    unit: 'GB',
    metrics: [M('mb_per_s', 'MB/s echoed', 'higher'), ...cpuByThread('server', 'GB (s)'), PEER_BUSY],
  },
  {
    // http-client's HTTPS twin: an https.Agent with keep-alive (tls.connect, rsnet's
    // native TLS under rsnet/register) against built-in https (https-server.js, net).
    name: 'https-client',
    kind: 'client',
    tls: true,
    noCeiling: true,
    script: 'http-client.js',
    scriptArgs: ['--tls', '1', '--size', String(HTTP_SMALL), '--conns', String(HTTP_CONNS)],
    upstreamScript: ['https-server.js', '--size', String(HTTP_SMALL)],
    unit: 'req',
    metrics: [M('req_per_s', 'requests/s', 'higher'), ...LATENCY, ...cpuByThread('client', 'request (µs)'), PEER_BUSY],
  },
  {
    // Full client handshakes (no resumption), a few in flight, against built-in tls.
    name: 'tls-client-handshake',
    kind: 'client',
    tls: true,
    noCeiling: true,
    script: 'tls-client-handshake.js',
    scriptArgs: ['--conns', String(TLS_HANDSHAKES_IN_FLIGHT)],
    upstreamScript: ['tls-echo-server.js'],
    unit: 'hs',
    metrics: [M('hs_per_s', 'handshakes/s', 'higher'), ...cpuByThread('client', 'handshake (µs)'), PEER_BUSY],
  },
  {
    // TLS bulk echo from the client side: client-stream.js over tls.connect (rsnet's
    // native TLS under rsnet/register) against built-in tls (tls-echo-server.js, net).
    name: 'tls-client-stream',
    kind: 'client',
    tls: true,
    noCeiling: true,
    script: 'client-stream.js',
    scriptArgs: ['--tls', '1', '--chunk', '65536'],
    upstreamScript: ['tls-echo-server.js'],
    unit: 'GB',
    metrics: [M('mb_per_s', 'MB/s echoed', 'higher'), ...cpuByThread('client', 'GB (s)'), PEER_BUSY],
  },
];

// CPU seconds per unit of work: µs per round trip / connection / request, s per GB.
function perUnit(cpuS, opsTotal, unit) {
  if (cpuS == null || !Number.isFinite(cpuS) || !opsTotal) return null;
  return unit === 'GB' ? cpuS / (opsTotal / 1e9) : (cpuS / opsTotal) * 1e6;
}

module.exports = { MODES, perUnit, HTTP_CONNS };
