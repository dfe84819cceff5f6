'use strict';
// rsnet beyond Node 20's net (issue #20): reusePort, fastOpen, keep-alive probes,
// setUserTimeout, setTypeOfService, getTCPInfo. Each is checked against what the
// kernel does or reports, seen from outside the code under test: `ss` (sock_diag),
// /proc/net/netstat counters, a second bind failing or succeeding, connections
// reaching both servers, and timeouts that fire when the settings say and not
// otherwise. The scenarios that need a peer that stops answering (keep-alive, user
// timeout) or a Fast Open sysctl run in a child in a private network namespace
// (fixtures/tcp-extensions-netns.js). sendFile, bad input, types and other platforms:
// tcp-extensions-api.test.js.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const builtin = require('node:net');
const net = require('..');
const { within, once, exitGuard } = require('./fixtures/util');
const {
  LINUX, NO_SS, NO_NETNS, haveIPv6, listening, listenError, closeServer, ss, inNetns, echoPair, roundTrip, shutdown,
} = require('./helpers/tcp-extensions');

exitGuard(after, path.basename(__filename));

const T = { timeout: 60_000 };

// -------------------------------------------------------------------------
// reusePort

test('listen({ reusePort: true }): two rsnet servers bind one port, and connections reach both', { ...T, skip: !LINUX }, async () => {
  const counts = [0, 0];
  const servers = [0, 1].map((i) => net.createServer((s) => {
    counts[i]++;
    s.end();
  }));
  await listening(servers[0], { port: 0, host: '127.0.0.1', reusePort: true });
  const { port } = servers[0].address();
  await listening(servers[1], { port, host: '127.0.0.1', reusePort: true });
  assert.equal(servers[1].address().port, port);
  if (!NO_SS) {
    // The kernel lists two listeners on the port.
    assert.equal(ss(['-l'], `sport = :${port}`).length, 2);
  }
  // The kernel spreads connections by their 4-tuple: out of 40, both get some
  // (all 40 to one server has a chance of 2^-39).
  for (let i = 0; i < 40; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.resume();
    await once(c, 'close');
  }
  assert.equal(counts[0] + counts[1], 40);
  assert.ok(counts[0] > 0 && counts[1] > 0, `connections per server: ${counts}`);
  // With one of them closed, the other takes every connection.
  await closeServer(servers[0]);
  const before = counts[1];
  for (let i = 0; i < 5; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.resume();
    await once(c, 'close');
  }
  assert.equal(counts[1], before + 5);
  await closeServer(servers[1]);
});

test('reusePort: a bind without it, by rsnet or built-in net, still fails with EADDRINUSE', { ...T, skip: !LINUX }, async () => {
  const shared = await listening(net.createServer(), { port: 0, host: '127.0.0.1', reusePort: true });
  const { port } = shared.address();
  for (const [mod, options] of [
    [net, { port, host: '127.0.0.1' }],
    [net, { port, host: '127.0.0.1', reusePort: false }],
    [builtin, { port, host: '127.0.0.1' }],
  ]) {
    const err = await listenError(mod.createServer(), options);
    assert.equal(err.code, 'EADDRINUSE');
    assert.equal(err.syscall, 'listen');
  }
  await closeServer(shared);
});

test('reusePort across processes: a child rsnet server shares the port, with no host (dual-stack) too', { ...T, skip: !LINUX }, async () => {
  for (const host of ['127.0.0.1', undefined]) {
    const server = await listening(net.createServer((s) => s.end('parent')), { port: 0, host, reusePort: true });
    const { port } = server.address();
    const code = `
      const net = require(${JSON.stringify(path.join(__dirname, '..'))});
      const s = net.createServer((c) => c.end('child'));
      s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
      s.listen({ port: ${port}, ${host ? `host: '${host}', ` : ''}reusePort: true }, () => console.log('listening'));
      process.stdin.on('end', () => s.close()).resume();`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await once(child.stdout, 'data');
    assert.equal(String(line).trim(), 'listening');
    // Both processes answer on the port.
    const seen = new Set();
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const c = net.connect(port, '127.0.0.1');
      let reply = '';
      c.on('data', (d) => (reply += d));
      await once(c, 'close');
      seen.add(reply);
    }
    assert.deepEqual([...seen].sort(), ['child', 'parent']);
    child.stdin.end();
    await once(child, 'exit');
    await closeServer(server);
  }
});

test('reusePort is ignored for a Unix socket path, as Node ignores its TCP flags there', { ...T, skip: !LINUX }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tcpext-'));
  const file = path.join(dir, 's.sock');
  const server = await listening(net.createServer(), { path: file, reusePort: true });
  assert.equal(server.address(), file);
  await closeServer(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

// -------------------------------------------------------------------------
// TCP Fast Open

test('fastOpen: with a cookie, the first write rides in the SYN (kernel counters); every way of ending delivers', { ...T, skip: NO_NETNS }, async () => {
  const result = await inNetns('fastOpen', { sysctl: { name: 'net/ipv4/tcp_fastopen', value: 3 } });
  assert.ok(!result.timedOut, 'the scenario finished');
  assert.deepEqual(result.replies, [
    { how: 'end(data)', reply: 'got:hello', hadError: false },
    { how: 'end()', reply: 'got:', hadError: false },
    { how: 'write+end', reply: 'got:part one, part two', hadError: false },
  ]);
  assert.deepEqual(result.got.sort(), ['', 'hello', 'part one, part two'].sort());
  // The first connection asked for a cookie; later ones sent data with their SYN,
  // and the listener (fastOpen: 16) took it.
  assert.equal(result.delta.TCPFastOpenCookieReqd, 1);
  assert.ok(result.delta.TCPFastOpenActive >= 1, JSON.stringify(result.delta));
  assert.ok(result.delta.TCPFastOpenPassive >= 1, JSON.stringify(result.delta));
  assert.equal(result.delta.TCPFastOpenPassiveFail, 0);
  // TCPI_OPT_SYN_DATA (32) in getTCPInfo().options: the connection whose SYN carried data.
  assert.equal(result.options[0] & 32, 0);
  assert.equal(result.options[1] & 32, 0, 'nothing written: no data in the SYN');
  assert.equal(result.options[2] & 32, 32);
});

test('fastOpen: a listener without it never takes data in a SYN', { ...T, skip: NO_NETNS }, async () => {
  const result = await inNetns('fastOpenClientOnly', { sysctl: { name: 'net/ipv4/tcp_fastopen', value: 3 } });
  assert.deepEqual(result.replies.map((r) => r.reply), ['got:hello', 'got:', 'got:part one, part two']);
  assert.equal(result.delta.TCPFastOpenPassive, 0);
  assert.equal(result.delta.TCPFastOpenActive, 0);
  assert.equal(result.delta.TCPFastOpenCookieReqd, 3);
});

test('connect({ fastOpen: true }) on this machine\'s own settings still connects and delivers', { ...T, skip: !LINUX }, async () => {
  const pair = await echoPair({ fastOpen: true });
  assert.equal(await roundTrip(pair.client, 'over fast open'), 'over fast open');
  await shutdown(pair);
});

// -------------------------------------------------------------------------
// Keep-alive probes, user timeout

test('keep-alive probes (interval 3 s, count 1): a silent peer is given up on after ~4 s, set three ways', { ...T, skip: NO_NETNS }, async () => {
  const result = await inNetns('keepAlive');
  assert.ok(!result.timedOut, `all four sockets timed out: ${JSON.stringify(result)}`);
  const who = result.errors.map((e) => e.who).sort();
  assert.deepEqual(who, ['accepted', 'accepted', 'connect options', 'setKeepAlive']);
  for (const { who: name, code, ms } of result.errors) {
    assert.equal(code, 'ETIMEDOUT', name);
    // 1 s idle + 1 probe x 3 s; libuv's settings alone would take 11 s, and an
    // interval not applied (1 s) would end it at 2 s.
    assert.ok(ms >= 3500 && ms < 8000, `${name}: gave up after ${ms} ms`);
  }
});

test('setUserTimeout(1500): unacknowledged data is given up on after ~1.5 s, set before or after connect', { ...T, skip: NO_NETNS }, async () => {
  const result = await inNetns('userTimeout');
  assert.ok(!result.timedOut, `no ETIMEDOUT within 20 s: ${JSON.stringify(result)}`);
  for (const key of ['after', 'before']) {
    assert.equal(result[key].code, 'ETIMEDOUT', key);
    // The kernel retransmits for minutes without it.
    assert.ok(result[key].ms >= 1400 && result[key].ms < 6000, `${key}: ${result[key].ms} ms`);
  }
});

// -------------------------------------------------------------------------
// Type of service

test('setTypeOfService: IP_TOS as ss reports it, set after or before connect', { ...T, skip: NO_SS }, async () => {
  const pair = await echoPair();
  pair.client.setTypeOfService(0x28);
  const early = new net.Socket().setTypeOfService(0xb8);
  early.connect(pair.server.address().port, '127.0.0.1');
  await once(early, 'connect');
  const tosOf = (socket) => {
    const [line] = ss(['--tos'], `sport = :${socket.localPort}`);
    return /\btos:(0x[0-9a-f]+|\d+)/.exec(line)?.[1];
  };
  assert.equal(tosOf(pair.client), '0x28');
  assert.equal(tosOf(early), '0xb8');
  // Traffic still flows, and an untouched socket keeps the default.
  assert.equal(await roundTrip(pair.client, 'dscp'), 'dscp');
  const plain = net.connect(pair.server.address().port, '127.0.0.1');
  await once(plain, 'connect');
  assert.equal(tosOf(plain), '0');
  for (const s of [early, plain]) {
    s.destroy();
    await once(s, 'close');
  }
  await shutdown(pair);
});

test('setTypeOfService on IPv6: IPV6_TCLASS as ss reports it', { ...T, skip: NO_SS || (!haveIPv6 && 'no ::1') }, async () => {
  const server = net.createServer((s) => s.resume());
  await listening(server, { port: 0, host: '::1' });
  const client = net.connect(server.address().port, '::1');
  await once(client, 'connect');
  client.setTypeOfService(0x28);
  const [line] = ss(['--tos'], `sport = :${client.localPort}`);
  assert.match(line, /\btclass:0x28\b/);
  client.destroy();
  await once(client, 'close');
  await closeServer(server);
});

// -------------------------------------------------------------------------
// getTCPInfo

test('getTCPInfo(): the kernel\'s TCP_INFO, matching what ss reports for the socket', { ...T, skip: NO_SS }, async () => {
  const pair = await echoPair();
  const text = 'x'.repeat(10_000);
  assert.equal((await roundTrip(pair.client, text)).length, text.length);
  // Quiet: wait (bounded) until everything sent is acknowledged.
  await within(new Promise((resolve) => {
    const check = () => (pair.client.getTCPInfo().unacked === 0 ? resolve() : setImmediate(check));
    check();
  }), 5000, 'every byte acknowledged');
  const info = pair.client.getTCPInfo();
  const [line] = ss(['-i'], `sport = :${pair.client.localPort}`);
  const field = (name) => {
    const m = new RegExp(`\\b${name}:([0-9.]+)`).exec(line);
    return m && Number(m[1]);
  };
  assert.equal(Object.getPrototypeOf(info), Object.prototype);
  assert.equal(info.state, 'ESTABLISHED');
  assert.equal(info.bytesReceived, field('bytes_received'));
  assert.equal(info.bytesReceived, text.length);
  assert.equal(info.bytesAcked, field('bytes_acked'));
  assert.equal(info.sndMss, field('mss'));
  assert.equal(info.rcvMss, field('rcvmss'));
  assert.equal(info.advmss, field('advmss'));
  assert.equal(info.pmtu, field('pmtu'));
  assert.equal(info.sndCwnd, field('cwnd'));
  assert.equal(info.rcvSpace, field('rcv_space'));
  assert.equal(info.totalRetrans, 0);
  assert.equal(info.lost, 0);
  assert.equal(info.retransmits, 0);
  // ss prints rtt/rttvar in ms (µs / 1000); idle, they have not moved since.
  const [rtt, rttVar] = /\brtt:([0-9.]+)\/([0-9.]+)/.exec(line).slice(1).map(Number);
  assert.equal(info.rtt, Math.round(rtt * 1000));
  assert.equal(info.rttVar, Math.round(rttVar * 1000));
  assert.ok(info.rtt > 0 && info.minRtt > 0 && info.minRtt <= info.rtt);
  assert.ok(info.deliveryRate > 0);
  const rate = /\bdelivery_rate (\d+)bps/.exec(line);
  if (rate) assert.equal(info.deliveryRate * 8, Number(rate[1]));
  for (const [key, value] of Object.entries(info)) {
    if (key !== 'state') assert.ok(Number.isFinite(value) && value >= 0, `${key}: ${value}`);
  }
  await shutdown(pair);
  assert.equal(pair.client.getTCPInfo(), undefined, 'after destroy');
});

test('getTCPInfo(): undefined before connect and on a Unix socket; a socket on its way down reports its state', { ...T, skip: !LINUX }, async () => {
  assert.equal(new net.Socket().getTCPInfo(), undefined);
  const server = net.createServer((s) => s.end());
  await listening(server, { port: 0, host: '127.0.0.1' });
  const client = net.connect(server.address().port, '127.0.0.1');
  assert.equal(client.getTCPInfo(), undefined, 'while connecting');
  let stateAtEnd;
  client.on('end', () => (stateAtEnd = client.getTCPInfo()?.state));
  client.resume();
  await once(client, 'end');
  // The peer's FIN arrived: CLOSE_WAIT, until this side ends too.
  assert.equal(stateAtEnd, 'CLOSE_WAIT');
  client.destroy();
  await once(client, 'close');
  await closeServer(server);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tcpext-'));
  const pipeServer = net.createServer((s) => s.pipe(s));
  await listening(pipeServer, { path: path.join(dir, 's.sock') });
  const pipe = net.connect(path.join(dir, 's.sock'));
  await once(pipe, 'connect');
  assert.equal(pipe.getTCPInfo(), undefined);
  pipe.destroy();
  await once(pipe, 'close');
  await closeServer(pipeServer);
  fs.rmSync(dir, { recursive: true, force: true });
});

// -------------------------------------------------------------------------
// Unix sockets: the settings do nothing, as Node's setNoDelay/setKeepAlive there.

test('on a Unix socket the TCP settings are no-ops that return the socket; data still flows', { ...T, skip: !LINUX }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tcpext-'));
  const file = path.join(dir, 's.sock');
  const server = net.createServer({ keepAlive: true, keepAliveInterval: 2000, keepAliveCount: 3 }, (s) => s.pipe(s));
  await listening(server, { path: file, fastOpen: 4 });
  const early = new net.Socket();
  assert.equal(early.setUserTimeout(100), early);
  const client = early.connect({ path: file, fastOpen: true });
  await once(client, 'connect');
  assert.equal(client.setKeepAlive(true, 1000, { interval: 2000, count: 3 }), client);
  assert.equal(client.setUserTimeout(1000), client);
  assert.equal(client.setTypeOfService(0x28), client);
  client.setEncoding('utf8');
  assert.equal(await roundTrip(client, 'still a pipe'), 'still a pipe');
  client.destroy();
  await once(client, 'close');
  await closeServer(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

