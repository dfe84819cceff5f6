'use strict';
// rsnet beyond Node 20's net (issue #20): reusePort, fastOpen, keep-alive probes,
// setUserTimeout, setTypeOfService, getTCPInfo. Each is checked against what the
// kernel does or reports, seen from outside the code under test: `ss` (sock_diag),
// /proc/net/netstat counters, a second bind failing or succeeding, connections
// reaching both servers, and timeouts that fire when the settings say and not
// otherwise. The scenarios that need a peer that stops answering (keep-alive, user
// timeout) or a Fast Open sysctl run in a child in a private network namespace
// (`unshare -n`), whose loopback the child takes down itself; the machine's own
// network and sysctls are never touched. Bad input gets Node-shaped errors.
//
// This file is also that child: RSNET_TCPEXT_CHILD=<scenario> runs one scenario and
// prints its result as JSON on the last line of stdout.

const CHILD = process.env.RSNET_TCPEXT_CHILD;
if (CHILD) {
  runChild(CHILD);
} else {
  defineTests();
}

// ---------------------------------------------------------------------------
// Shared helpers.

function within(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

function once(emitter, event, ms = 5000) {
  return within(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))),
    ms, `'${event}'`);
}

// Resolves with the server once it listens, rejects with its listen error.
function listening(server, options) {
  return within(new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve(server);
    });
  }), 5000, `listen(${JSON.stringify(options)})`);
}

function listenError(server, options) {
  return within(new Promise((resolve, reject) => {
    server.once('error', resolve);
    server.listen(options, () => reject(new Error(`listen(${JSON.stringify(options)}) succeeded`)));
  }), 5000, `the listen error of ${JSON.stringify(options)}`);
}

function closeServer(server) {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

// ---------------------------------------------------------------------------
// The child scenarios (run in a private network namespace).

function runChild(scenario) {
  const net = require('..');
  const { execFileSync } = require('node:child_process');
  const fs = require('node:fs');
  const now = () => Number(process.hrtime.bigint() / 1_000_000n);
  const report = (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  };
  // The scenario's own deadline: a result that says what did not happen, not a hang.
  setTimeout(() => report({ timedOut: true }), 20_000).unref();

  const loDown = () => execFileSync('ip', ['link', 'set', 'lo', 'down']);
  const fastOpenCounters = () => {
    const lines = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[at].split(' ');
    const values = lines[at + 1].split(' ');
    const out = {};
    names.forEach((name, i) => { if (name.startsWith('TCPFastOpen')) out[name] = Number(values[i]); });
    return out;
  };

  // Keep-alive with probes every 3 s, 1 of them, first after 1 s of idleness: once the
  // peer goes silent (loopback down), the kernel gives up after about 1 + 3 x 1 s.
  // libuv's own settings (1 s apart, 10 probes) would take 11 s; no probes settings
  // at all, 1 + 1 s. Three sockets get them three ways: connect options, setKeepAlive's
  // third argument after connect, and createServer options for the accepted ones.
  async function keepAlive() {
    const probes = { keepAliveInterval: 3000, keepAliveCount: 1 };
    const errors = [];
    let t0 = 0;
    const record = (who) => (err) => errors.push({ who, code: err.code, ms: now() - t0 });
    let accepted = 0;
    let bothAccepted;
    const acceptedTwo = new Promise((resolve) => (bothAccepted = resolve));
    const server = net.createServer({ keepAlive: true, keepAliveInitialDelay: 1000, ...probes }, (s) => {
      s.on('error', record('accepted'));
      if (++accepted === 2) bothAccepted();
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    const a = net.connect({ port, host: '127.0.0.1', keepAlive: true, keepAliveInitialDelay: 1000, ...probes });
    const b = net.connect({ port, host: '127.0.0.1' });
    a.on('error', record('connect options'));
    b.on('error', record('setKeepAlive'));
    await Promise.all([once(a, 'connect'), once(b, 'connect'), acceptedTwo]);
    b.setKeepAlive(true, 1000, { interval: 3000, count: 1 });
    loDown();
    t0 = now();
    await new Promise((resolve) => {
      const check = () => (errors.length === 4 ? resolve() : setTimeout(check, 50));
      check();
    });
    report({ errors });
  }

  // TCP_USER_TIMEOUT 1.5 s: data written after the peer went silent is given up on
  // after about 1.5 s (without it, the kernel retransmits for minutes). One socket
  // sets it after connect, one before (remembered, applied on connect).
  async function userTimeout() {
    const server = net.createServer((s) => s.on('error', () => {}));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    const after = net.connect(port, '127.0.0.1');
    const before = new net.Socket().setUserTimeout(1500);
    before.connect(port, '127.0.0.1');
    await Promise.all([once(after, 'connect'), once(before, 'connect')]);
    after.setUserTimeout(1500);
    loDown();
    const t0 = now();
    const failed = (s) => new Promise((resolve) => s.once('error', (e) => resolve({ code: e.code, ms: now() - t0 })));
    // Both listeners first: the two errors come in the same loop turn.
    const failures = [failed(after), failed(before)];
    after.write('x');
    before.write('x');
    const [afterConnect, beforeConnect] = await Promise.all(failures);
    report({ after: afterConnect, before: beforeConnect });
  }

  // TCP Fast Open, with this namespace's sysctl at 3 (client and server): the first
  // connection gets a cookie, the next ones carry their first write in the SYN. The
  // kernel's counters tell which connections did.
  async function fastOpen(listenFastOpen) {
    const got = [];
    const server = net.createServer((s) => {
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('end', () => {
        got.push(data);
        s.end(`got:${data}`);
      });
    });
    await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', ...(listenFastOpen ? { fastOpen: 16 } : {}) }, resolve));
    const { port } = server.address();
    const before = fastOpenCounters();
    const replies = [];
    const options = [];
    // Ends three ways: with data, with nothing written, and with a write after 'connect'.
    for (const how of ['end(data)', 'end()', 'write+end']) {
      const c = net.connect({ port, host: '127.0.0.1', fastOpen: true });
      let reply = '';
      c.setEncoding('utf8');
      c.on('data', (d) => {
        reply += d;
        if (options.length < replies.length + 1) options.push(c.getTCPInfo().options);
      });
      c.on('connect', () => {
        if (how === 'end(data)') c.end('hello');
        else if (how === 'end()') c.end();
        else {
          c.write('part one, ');
          setImmediate(() => c.end('part two'));
        }
      });
      const [hadError] = await once(c, 'close', 10_000);
      replies.push({ how, reply, hadError });
    }
    const after = fastOpenCounters();
    server.close();
    const delta = {};
    for (const key of Object.keys(after)) delta[key] = after[key] - (before[key] ?? 0);
    report({ replies, got, delta, options });
  }

  const scenarios = {
    keepAlive,
    userTimeout,
    fastOpen: () => fastOpen(true),
    fastOpenClientOnly: () => fastOpen(false),
  };
  scenarios[scenario]().catch((err) => report({ error: String(err && err.stack) }));
}

// ---------------------------------------------------------------------------
// The tests.

function defineTests() {
  const { test, after } = require('node:test');
  const assert = require('node:assert/strict');
  const { spawn, spawnSync, execFileSync } = require('node:child_process');
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const builtin = require('node:net');
  const net = require('..');

  const T = { timeout: 60_000 };
  const LINUX = process.platform === 'linux';
  const haveSs = LINUX && spawnSync('ss', ['-V']).status === 0;
  // A private network namespace, with ip(8) in it, for the scenarios that take their
  // loopback down or change a sysctl.
  const canUnshare = LINUX && spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up']).status === 0;
  const haveIPv6 = Object.values(os.networkInterfaces()).flat()
    .some((i) => i && i.family === 'IPv6' && i.address === '::1');
  const NO_SS = haveSs ? false : 'ss (iproute2) is not installed: npm test installs it (scripts/test-services.js)';
  const NO_NETNS = canUnshare ? false : 'cannot make a private network namespace here (unshare -n needs root)';

  after(() => {
    const t = setTimeout(() => {
      process.stderr.write(`tcp-extensions.test.js: still alive 5 s after its last test: ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
      process.exit(1);
    }, 5000);
    t.unref();
  });

  // The sockets `ss` lists for `filter`, each as one line (its info line joined on).
  function ss(args, filter) {
    const out = execFileSync('ss', ['-tnH', ...args, ...filter.split(' ')], { encoding: 'utf8' });
    const records = [];
    for (const line of out.split('\n')) {
      if (line === '') continue;
      if (/^\s/.test(line) && records.length > 0) records[records.length - 1] += ` ${line.trim()}`;
      else records.push(line);
    }
    return records;
  }

  // Runs a child scenario in a private network namespace; resolves with its result.
  function inNetns(scenario, { sysctl } = {}) {
    const setup = ['ip link set lo up'];
    if (sysctl) setup.push(`echo ${sysctl.value} > /proc/sys/${sysctl.name}`);
    const script = `${setup.join(' && ')} && exec "$0" "$1"`;
    return within(new Promise((resolve, reject) => {
      const child = spawn('unshare', ['-n', 'sh', '-c', script, process.execPath, __filename], {
        env: { ...process.env, RSNET_TCPEXT_CHILD: scenario },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('exit', (code) => {
        const last = stdout.trim().split('\n').pop();
        try {
          const result = JSON.parse(last);
          if (result.error) reject(new Error(`${scenario}: ${result.error}\n${stderr}`));
          else resolve(result);
        } catch {
          reject(new Error(`${scenario}: exit ${code}, no result\n${stdout}\n${stderr}`));
        }
      });
    }), 40_000, `the ${scenario} child`);
  }

  async function echoPair(options = {}) {
    const server = net.createServer((s) => s.pipe(s));
    await listening(server, { port: 0, host: '127.0.0.1' });
    const client = net.connect({ port: server.address().port, host: '127.0.0.1', ...options });
    await once(client, 'connect');
    return { server, client };
  }

  async function roundTrip(client, text) {
    client.write(text);
    let got = '';
    await within(new Promise((resolve) => {
      const onData = (d) => {
        got += d;
        if (got.length >= text.length) {
          client.off('data', onData);
          resolve();
        }
      };
      client.on('data', onData);
    }), 5000, 'the echo');
    return got;
  }

  async function shutdown({ server, client }) {
    client.destroy();
    await once(client, 'close');
    await closeServer(server);
  }

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
    if (haveSs) {
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

  // -------------------------------------------------------------------------
  // sendFile

  // A server that records everything it receives; `done` resolves with it at EOF.
  async function sink() {
    let done;
    const received = new Promise((resolve) => (done = resolve));
    const server = net.createServer((s) => {
      const parts = [];
      s.on('data', (d) => parts.push(d));
      s.on('end', () => {
        done(Buffer.concat(parts));
        s.end();
      });
      s.on('error', () => {});
    });
    await listening(server, { port: 0, host: '127.0.0.1' });
    return { server, received, port: server.address().port };
  }

  function tempFile(bytes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-sendfile-'));
    const file = path.join(dir, 'data.bin');
    const data = require('node:crypto').randomBytes(bytes);
    fs.writeFileSync(file, data);
    return { dir, file, data };
  }

  test('sendFile: the kernel sends the file in order with the writes around it, counted in bytesWritten', { ...T, skip: !LINUX }, async () => {
    const { dir, file, data } = tempFile(3 << 20);
    const { server, received, port } = await sink();
    const c = net.connect(port, '127.0.0.1');
    c.write('head|');
    const whole = c.sendFile(file);
    c.write('|middle|');
    const fd = fs.openSync(file, 'r');
    const ranged = c.sendFile(fd, { start: 10, end: 19 });
    const fromUrl = c.sendFile(require('node:url').pathToFileURL(file), { start: data.length - 4 });
    c.end('|tail');
    assert.deepEqual(await within(Promise.all([whole, ranged, fromUrl]), 20_000, 'the sends'), [data.length, 10, 4]);
    fs.closeSync(fd); // a caller's fd stays open, and the caller's
    const got = await within(received, 20_000, 'EOF at the server');
    const expected = Buffer.concat([Buffer.from('head|'), data, Buffer.from('|middle|'), data.subarray(10, 20),
      data.subarray(data.length - 4), Buffer.from('|tail')]);
    assert.equal(got.length, expected.length);
    assert.ok(got.equals(expected), 'the bytes, in order');
    assert.equal(c.bytesWritten, expected.length);
    await once(c, 'close');
    await closeServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('sendFile never blocks the JS thread: a paused reader holds the send while timers run', { ...T, skip: !LINUX }, async () => {
    const { dir, file, data } = tempFile(16 << 20);
    let reader;
    const accepted = new Promise((resolve) => (reader = resolve));
    const server = net.createServer((s) => {
      s.pause();
      reader(s);
    });
    await listening(server, { port: 0, host: '127.0.0.1' });
    const c = net.connect(server.address().port, '127.0.0.1');
    let settled = false;
    const sent = c.sendFile(file).finally(() => (settled = true));
    const peer = await accepted;
    // 16 MiB cannot fit in the socket buffers of a reader that does not read: the send
    // waits on the runtime, and the JS thread keeps turning meanwhile.
    let ticks = 0;
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        if (++ticks === 5) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    assert.equal(settled, false, 'still sending while the reader is paused');
    let total = 0;
    peer.on('data', (d) => (total += d.length));
    peer.resume();
    assert.equal(await within(sent, 20_000, 'the send'), data.length);
    await within(new Promise((resolve) => {
      const check = () => (total === data.length ? resolve() : setTimeout(check, 5));
      check();
    }), 10_000, 'every byte at the reader');
    c.destroy();
    await once(c, 'close');
    await closeServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('sendFile errors: a missing file rejects and leaves the socket alone; after end, destroyed, a gone peer fail as writes do', { ...T, skip: !LINUX }, async () => {
    const { dir, file } = tempFile(8 << 20);
    const { server, received, port } = await sink();
    const c = net.connect(port, '127.0.0.1');
    const closed = once(c, 'close', 10_000);
    await assert.rejects(c.sendFile(path.join(dir, 'missing')), { code: 'ENOENT', syscall: 'open' });
    c.end('still fine');
    // As write() after end(): the promise rejects and the socket emits the error.
    const afterEnd = once(c, 'error');
    await assert.rejects(c.sendFile(file), { code: 'ERR_STREAM_WRITE_AFTER_END' });
    assert.equal((await afterEnd)[0].code, 'ERR_STREAM_WRITE_AFTER_END');
    assert.equal(String(await within(received, 5000, 'EOF')), 'still fine');
    await closed;
    const d = net.connect(port, '127.0.0.1');
    d.destroy();
    await assert.rejects(d.sendFile(file), { code: 'ERR_STREAM_DESTROYED' });
    // A peer that resets mid-file: the send fails with the socket's error, as a write.
    const resetter = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 20));
    await listening(resetter, { port: 0, host: '127.0.0.1' });
    const e = net.connect(resetter.address().port, '127.0.0.1');
    const errored = once(e, 'error', 10_000);
    const err = await within(e.sendFile(file).then(() => null, (x) => x), 10_000, 'the failed send');
    assert.ok(err && ['ECONNRESET', 'EPIPE'].includes(err.code), String(err));
    assert.equal(err.syscall, 'write');
    // The socket is destroyed with the first error seen, from its read or this write.
    assert.ok(['ECONNRESET', 'EPIPE'].includes((await errored)[0].code));
    await closeServer(resetter);
    await closeServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // -------------------------------------------------------------------------
  // Bad input: Node-shaped errors, thrown before anything happens.

  const typeError = (name, received) => ({
    code: 'ERR_INVALID_ARG_TYPE',
    name: 'TypeError',
    message: new RegExp(`^The "${name.replace('.', '\\.')}" (argument|property) must be .*Received ${received}`),
  });
  const rangeError = (name, range, received) => ({
    code: 'ERR_OUT_OF_RANGE',
    name: 'RangeError',
    message: `The value of "${name}" is out of range. It must be ${range}. Received ${received}`,
  });

  test('bad arguments get Node-style errors, never a crash', { ...T, skip: !LINUX }, async () => {
    const s = new net.Socket();
    const cases = [
      [() => s.setUserTimeout('1000'), typeError('msecs', "type string \\('1000'\\)")],
      [() => s.setUserTimeout(), typeError('msecs', 'undefined')],
      [() => s.setUserTimeout(-1), rangeError('msecs', '>= 0 && <= 2147483647', '-1')],
      [() => s.setUserTimeout(NaN), rangeError('msecs', '>= 0 && <= 2147483647', 'NaN')],
      [() => s.setUserTimeout(2 ** 31), rangeError('msecs', '>= 0 && <= 2147483647', '2147483648')],
      [() => s.setTypeOfService('0x28'), typeError('tos', "type string \\('0x28'\\)")],
      [() => s.setTypeOfService(256), rangeError('tos', '>= 0 && <= 255', '256')],
      [() => s.setTypeOfService(-1), rangeError('tos', '>= 0 && <= 255', '-1')],
      [() => s.setTypeOfService(1.5), rangeError('tos', 'an integer', '1.5')],
      [() => s.setTypeOfService(NaN), rangeError('tos', 'an integer', 'NaN')],
      [() => s.setKeepAlive(true, 1000, 'fast'), typeError('options', "type string \\('fast'\\)")],
      [() => s.setKeepAlive(true, 1000, null), typeError('options', 'null')],
      [() => s.setKeepAlive(true, 1000, { interval: '1s' }), typeError('options.interval', "type string \\('1s'\\)")],
      [() => s.setKeepAlive(true, 1000, { interval: -5 }), rangeError('options.interval', '>= 0 && <= 32767000', '-5')],
      [() => s.setKeepAlive(true, 1000, { interval: NaN }), rangeError('options.interval', '>= 0 && <= 32767000', 'NaN')],
      [() => s.setKeepAlive(true, 1000, { count: 0 }), rangeError('options.count', '>= 1 && <= 127', '0')],
      [() => s.setKeepAlive(true, 1000, { count: 2.5 }), rangeError('options.count', 'an integer', '2.5')],
      [() => new net.Socket({ keepAliveInterval: 'x' }), typeError('options.keepAliveInterval', "type string \\('x'\\)")],
      [() => new net.Socket({ keepAliveCount: 128 }), rangeError('options.keepAliveCount', '>= 1 && <= 127', '128')],
      [() => net.connect({ port: 1, keepAliveCount: -1 }), rangeError('options.keepAliveCount', '>= 1 && <= 127', '-1')],
      [() => net.createServer({ keepAliveInterval: -1 }), rangeError('options.keepAliveInterval', '>= 0 && <= 32767000', '-1')],
      [() => net.createServer({ keepAliveCount: '3' }), typeError('options.keepAliveCount', "type string \\('3'\\)")],
      [() => net.createServer().listen({ port: 0, reusePort: 'yes' }), typeError('options.reusePort', "type string \\('yes'\\)")],
      [() => net.createServer().listen({ port: 0, reusePort: 1 }), typeError('options.reusePort', 'type number \\(1\\)')],
      [() => net.createServer().listen({ port: 0, fastOpen: -1 }), rangeError('options.fastOpen', '>= 0 && <= 2147483647', '-1')],
      [() => net.createServer().listen({ port: 0, fastOpen: true }), typeError('options.fastOpen', 'type boolean \\(true\\)')],
      [() => net.createServer().listen({ port: 0, fastOpen: 1.5 }), rangeError('options.fastOpen', 'an integer', '1.5')],
      [() => net.connect({ port: 1, host: '127.0.0.1', fastOpen: 'yes' }), typeError('options.fastOpen', "type string \\('yes'\\)")],
      [() => net.connect({ port: 1, host: '127.0.0.1', fastOpen: 1 }), typeError('options.fastOpen', 'type number \\(1\\)')],
      [() => s.sendFile(), typeError('file', 'undefined')],
      [() => s.sendFile({}), typeError('file', 'an instance of Object')],
      [() => s.sendFile(-1), rangeError('fd', '>= 0 && <= 2147483647', '-1')],
      [() => s.sendFile('/x', 'opts'), typeError('options', "type string \\('opts'\\)")],
      [() => s.sendFile('/x', { start: -1 }), rangeError('options.start', '>= 0 && <= 9007199254740991', '-1')],
      [() => s.sendFile('/x', { end: 1.5 }), rangeError('options.end', 'an integer', '1.5')],
      [() => s.sendFile('/x', { start: 5, end: 2 }), rangeError('options.start', '<= "end" (here: 2)', '5')],
    ];
    for (const [call, expected] of cases) assert.throws(call, expected, String(call));
  });

  test('unset or off, the options change nothing: the same errors and events as built-in net', { ...T, skip: !LINUX }, async () => {
    const first = await listening(net.createServer(), { port: 0, host: '127.0.0.1', reusePort: false });
    const { port } = first.address();
    const mine = await listenError(net.createServer(), { port, host: '127.0.0.1' });
    const theirs = await listenError(builtin.createServer(), { port, host: '127.0.0.1' });
    for (const key of ['code', 'errno', 'syscall', 'address', 'port', 'message']) assert.equal(mine[key], theirs[key], key);
    await closeServer(first);
    // setKeepAlive's two-argument form is Node's: it returns the socket, remembers
    // before connect, and applies on connect.
    const pair = await echoPair({ keepAlive: true, keepAliveInitialDelay: 5000 });
    assert.equal(pair.client.setKeepAlive(false), pair.client);
    assert.equal(await roundTrip(pair.client, 'plain'), 'plain');
    await shutdown(pair);
  });

  test('index.d.ts types the extensions without changing the module\'s (Node\'s) types', T, () => {
    const root = path.join(__dirname, '..');
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tcpext-types-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(root, path.join(dir, 'node_modules', 'rsnet'), 'dir');
      fs.symlinkSync(path.join(root, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'), 'dir');
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'node16', moduleResolution: 'node16', types: ['node'] },
        files: ['ext.ts'],
      }));
      fs.writeFileSync(path.join(dir, 'ext.ts'), `
        import rsnet = require('rsnet');
        import net = require('node:net');
        type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
        export const sameModule: Same<typeof rsnet, typeof net> = true;
        export const sameSocket: Same<rsnet.Socket, net.Socket> = true;
        const serverOptions: rsnet.ExtendedServerOpts = { keepAlive: true, keepAliveInterval: 2000, keepAliveCount: 3 };
        const listenOptions: rsnet.ExtendedListenOptions = { port: 0, reusePort: true, fastOpen: 16 };
        const server = rsnet.createServer(serverOptions).listen(listenOptions);
        const connectOptions: rsnet.ExtendedTcpSocketConnectOpts = { port: 1, fastOpen: true, keepAliveCount: 3 };
        const socket = rsnet.connect(connectOptions) as rsnet.ExtendedSocket;
        socket.setKeepAlive(true, 1000, { interval: 2000, count: 3 }).setUserTimeout(5000).setTypeOfService(0x28);
        const info: rsnet.TCPInfo | undefined = socket.getTCPInfo();
        const rtt: number | undefined = info?.rtt;
        const sent: Promise<number> = socket.sendFile('/etc/hostname', { start: 0, end: 10 });
        const state: 'ESTABLISHED' | string | undefined = info?.state;
        // @ts-expect-error Node's own Socket type is untouched
        new net.Socket().getTCPInfo();
        // @ts-expect-error reusePort is a boolean
        const wrong: rsnet.ExtendedListenOptions = { reusePort: 'yes' };
        export const used = [server, rtt, state, wrong, sent];
      `);
      const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('elsewhere than Linux each extension throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, and plain net use works', T, async () => {
    const code = `
      Object.defineProperty(process, 'platform', { value: 'darwin' });
      const net = require(${JSON.stringify(path.join(__dirname, '..'))});
      const out = {};
      const attempt = (name, fn) => { try { fn(); out[name] = 'no error'; } catch (e) { out[name] = e.code + ' ' + e.name + ': ' + e.message; } };
      const s = new net.Socket();
      attempt('setUserTimeout', () => s.setUserTimeout(1000));
      attempt('setTypeOfService', () => s.setTypeOfService(0));
      attempt('getTCPInfo', () => s.getTCPInfo());
      attempt('setKeepAlive probes', () => s.setKeepAlive(true, 1000, { interval: 1000 }));
      attempt('keepAliveCount', () => new net.Socket({ keepAliveCount: 3 }));
      attempt('reusePort', () => net.createServer().listen({ port: 0, reusePort: true }));
      attempt('fastOpen listen', () => net.createServer().listen({ port: 0, fastOpen: 5 }));
      attempt('fastOpen connect', () => net.connect({ port: 1, host: '127.0.0.1', fastOpen: true }));
      attempt('reusePort false', () => net.createServer().listen({ port: 0, reusePort: false }).close());
      attempt('fastOpen 0', () => net.createServer().listen({ port: 0, fastOpen: 0 }).close());
      attempt('two-argument setKeepAlive', () => s.setKeepAlive(true, 1000));
      attempt('sendFile', () => s.sendFile('/etc/hostname'));
      console.log(JSON.stringify(out));`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const [status] = await once(child, 'exit', 10_000);
    assert.equal(status, 0);
    const out = JSON.parse(stdout);
    const unavailable = (feature) => 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM TypeError: ' +
      `The feature ${feature} is unavailable on the current platform, which is being used to run Node.js`;
    assert.deepEqual(out, {
      'setUserTimeout': unavailable('socket.setUserTimeout()'),
      'setTypeOfService': unavailable('socket.setTypeOfService()'),
      'getTCPInfo': unavailable('socket.getTCPInfo()'),
      'setKeepAlive probes': unavailable('TCP keep-alive probe settings'),
      'keepAliveCount': unavailable('TCP keep-alive probe settings'),
      'reusePort': unavailable('reusePort'),
      'fastOpen listen': unavailable('TCP Fast Open'),
      'fastOpen connect': unavailable('TCP Fast Open'),
      'reusePort false': 'no error',
      'fastOpen 0': 'no error',
      'two-argument setKeepAlive': 'no error',
      'sendFile': unavailable('socket.sendFile()'),
    });
  });
}
