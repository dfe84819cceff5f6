'use strict';
// Child for the faults part: one fault scenario against ONE module
// (argv: module scenario count). Prints RESULT {logs, facts}: the event
// sequence of every socket and server involved, and a few facts (bytes
// that arrived...) that must hold whatever the timing.
const { spawn } = require('child_process');
const { loadModule, report } = require('../lib/common');
const { record } = require('../lib/recorder');

const [modName, scenario, countArg] = process.argv.slice(2);
const net = loadModule(modName);
const logs = {};
const facts = {};
// Every recorded emitter's 'close' is awaited before the result is printed, so its
// sequence is complete (rsnet emits 'close' in libuv's close phase, net on a later
// tick: `closed` being true says nothing about whether 'close' was emitted yet).
const closes = new Map();
function log(name, em) {
  record(em, (logs[name] = logs[name] || []));
  closes.set(name, new Promise((r) => em.once('close', r)));
  return em;
}
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const closed = (em) => new Promise((r) => em.once('close', r));
const MiB = 1024 * 1024;

async function server(onConn, opts = {}) {
  const srv = net.createServer(opts, onConn);
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
}
function connect(port, name) {
  const c = net.connect(port, '127.0.0.1');
  if (name) log(name, c);
  return c;
}

// A peer in another process (built-in net: it is the environment, not the
// subject), so it can be SIGKILLed. mode 'flood': writes forever; 'sink': never reads.
function peerProcess(port, mode) {
  const code = `const s=require('net').connect(${port},'127.0.0.1',()=>{process.stdout.write('up\\n');` +
    (mode === 'flood' ? "const b=Buffer.alloc(65536,1);const go=()=>{while(s.write(b));};s.on('drain',go);go();" : 's.pause();') +
    "});s.on('error',()=>{});setInterval(()=>{},1000);";
  return spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

const scenarios = {
  // The peer resets the connection (RST) while a 16 MiB write is in flight.
  async 'reset-mid-write'() {
    const srv = await server((s) => { log('server-conn', s); s.once('data', () => s.resetAndDestroy()); });
    const c = connect(srv.address().port, 'client');
    c.on('connect', () => c.write(Buffer.alloc(16 * MiB, 7), (e) => { facts.writeCb = e ? e.code : 'ok'; }));
    await closed(c);
    srv.close();
  },
  // The peer process is SIGKILLed while it floods us: we see its FIN (its kernel closes the socket).
  async 'sigkill-flooder'() {
    let got = 0;
    const srv = await server((s) => {
      log('server-conn', s);
      s.on('data', (d) => { got += d.length; if (got >= MiB && !facts.killed) { facts.killed = true; peer.kill('SIGKILL'); } });
    });
    const peer = peerProcess(srv.address().port, 'flood');
    await new Promise((r) => srv.once('connection', (s) => s.once('close', r)));
    srv.close();
  },
  // The peer process is SIGKILLed while we write to it and it does not read:
  // its kernel resets the connection (unread data), our pending write fails.
  async 'sigkill-sink'() {
    const srv = await server((s) => {
      log('server-conn', s);
      const b = Buffer.alloc(MiB, 3);
      const go = () => { while (s.write(b)); };
      s.on('drain', go);
      s.on('error', () => {});
      go();
      setTimeout(() => peer.kill('SIGKILL'), 150);
    });
    const peer = peerProcess(srv.address().port, 'sink');
    await new Promise((r) => srv.once('connection', (s) => s.once('close', r)));
    srv.close();
  },
  // destroy() while connecting: at once, on the next tick, and after the lookup.
  async 'destroy-during-connect'() {
    const srv = await server((s) => s.resume());
    const port = srv.address().port;
    const a = connect(port, 'sync');
    a.destroy();
    const b = connect(port, 'nextTick');
    process.nextTick(() => b.destroy());
    const c = net.connect(port, 'localhost');
    log('after-lookup', c);
    c.once('lookup', () => c.destroy());
    const d = connect(port, 'with-error');
    d.destroy(Object.assign(new Error('boom'), { code: 'EBOOM' }));
    await Promise.all([a, b, c, d].map(closed));
    srv.close();
  },
  // end() with 8 MiB still queued to a slow reader: every byte arrives, then 'end'.
  async 'end-pending'() {
    let got = 0;
    const done = new Promise((resolve) => {
      server((s) => {
        log('server-conn', s);
        s.pause();
        setTimeout(() => s.resume(), 100);
        s.on('data', (d) => { got += d.length; });
        s.on('end', () => { facts.bytesAtEnd = got; s.end(); });
        s.on('close', resolve);
      }).then((srv) => {
        const c = connect(srv.address().port, 'client');
        c.on('connect', () => { c.write(Buffer.alloc(8 * MiB, 1)); c.end(); facts.writableFinishedAfterEnd = c.writableFinished; });
        c.resume();
        c.on('close', () => srv.close());
      });
    });
    await done;
  },
  // destroy() with 8 MiB still queued: the socket closes without an error.
  async 'destroy-pending'() {
    const srv = await server((s) => { log('server-conn', s); s.on('error', () => {}); s.resume(); });
    const c = connect(srv.address().port, 'client');
    c.on('connect', () => {
      c.write(Buffer.alloc(8 * MiB, 1), (e) => { facts.writeCb = e ? e.code : 'ok'; });
      facts.pendingBeforeDestroy = c.writableLength > 0;
      c.destroy();
    });
    await closed(c);
    await wait(100);
    srv.close();
  },
  // write() after end(): ERR_STREAM_WRITE_AFTER_END, as an 'error' event and to the callback.
  async 'write-after-end'() {
    // The server side is not recorded: whether it sees 'bye' before the client's
    // error destroys the socket is a race in net itself.
    const srv = await server((s) => { s.on('error', () => {}); s.resume(); s.on('end', () => s.end()); });
    const c = connect(srv.address().port, 'client');
    c.on('connect', () => {
      c.end('bye');
      const ret = c.write('more', (e) => { facts.writeCb = e ? e.code : 'ok'; });
      facts.writeReturned = ret;
    });
    c.resume();
    await closed(c);
    srv.close();
  },
  // server.close() with 3 live connections: 'close' only after they have all gone.
  async 'server-close-live'() {
    let accepted = 0;
    let all;
    const three = new Promise((r) => { all = r; });
    const srv = await server((s) => { s.resume(); s.on('end', () => s.end()); if (++accepted === 3) all(); });
    log('server', srv);
    const cs = [0, 1, 2].map((i) => connect(srv.address().port, `client${i}`));
    await three;
    await new Promise((r) => srv.getConnections((e, n) => { facts.connsBeforeClose = n; r(); }));
    srv.close((e) => { logs.server.push(`close-cb:${e ? e.code : 'ok'}`); });
    facts.listeningAfterClose = srv.listening;
    await wait(50);
    logs.server.push('--clients end--');
    for (const c of cs) { c.resume(); c.end(); }
    await closed(srv);
    srv.close((e) => { facts.secondClose = e ? e.code : 'ok'; });
    await wait(20);
  },
  // A peer that never reads: write() turns false, no 'drain' comes, destroy() still closes.
  async 'never-reads'() {
    const conns = [];
    const srv = await server((s) => { conns.push(s); log('server-conn', s); }, { pauseOnConnect: true });
    const c = connect(srv.address().port, 'client');
    let drains = 0;
    c.on('drain', () => drains++);
    await new Promise((r) => c.once('connect', r));
    let writes = 0;
    const b = Buffer.alloc(64 * 1024, 2);
    while (c.write(b) && writes < 4096) writes++;
    facts.writeTurnedFalse = writes < 4096;
    await wait(300);
    facts.drains = drains;
    c.destroy();
    await closed(c);
    srv.close();
    for (const s of conns) s.destroy();
  },
  // server.close() in the first 'connection' handler while four more connections
  // from another process wait in the accept backlog: the kernel resets those
  // (their clients see 'connect' then ECONNRESET). Logged from the client process.
  async 'close-with-backlog'() {
    const srv = await server((s) => { srv.close(); setTimeout(() => s.destroy(), 300); });
    log('server', srv);
    const code = `const r={};let n=0;for(let i=0;i<5;i++){const c=require('net').connect(${srv.address().port},'127.0.0.1');const ev=r['client'+i]=[];` +
      "for(const e of ['connect','end','error','close'])c.on(e,(x)=>ev.push(e==='error'?'error:'+x.code:e));" +
      "c.on('close',()=>{if(++n===5)process.stdout.write(JSON.stringify(r));});}";
    const peer = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    peer.stdout.on('data', (d) => { out += d; });
    await new Promise((r) => peer.on('close', r));
    // The first connection is served (connect, end). The other four were reset in the
    // backlog or refused after close(), in an order that varies in net itself; what
    // must hold is that only served connections end cleanly.
    const seqs = Object.values(JSON.parse(out || '{}')).map((e) => e.join(' '));
    facts.clientsEndedCleanly = seqs.filter((x) => /end/.test(x)).length;
    facts.clients = seqs.length;
  },
  // new Socket({ fd: 2 }) on the process's stderr pipe, then destroy(): libuv never
  // closes fds 0-2 when it closes a handle, so with net stderr stays usable (and fd 2
  // cannot be handed to the next socket). Run in a grandchild whose stderr is a pipe.
  // (The same with a socketpair as fd 2 hangs with net and rsnet alike: not compared.)
  async 'stdio-fd-destroy'() {
    const { ROOT } = require('../lib/common');
    const code = `const net = ${modName === 'net' ? "require('net')" : `require(${JSON.stringify(ROOT)})`};
      const s = new net.Socket({ fd: 2 });
      s.on('error', () => {});
      s.on('close', () => {
        let alive = true;
        try { require('fs').fstatSync(2); } catch (e) { alive = e.code; }
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
          const c = net.connect(srv.address().port, '127.0.0.1', () => {
            // Which fd did the new sockets get? With fd 2 closed, one of them takes it.
            const fds = require('fs').readdirSync('/proc/self/fd').map(Number);
            process.stdout.write(JSON.stringify({ alive, fd2Reused: alive !== true && fds.includes(2) }));
            c.destroy(); srv.close();
          });
        });
      });
      s.destroy();`;
    // bash gives the grandchild's stderr a real pipe(2) (Node's own 'pipe' stdio
    // is a socketpair, a different handle type).
    const child = spawn('bash', ['-c', `"${process.execPath}" -e "$CODE" 2> >(cat >/dev/null)`],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CODE: code } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { if (process.env.RELIABILITY_DEBUG) process.stderr.write(d); });
    const exit = await new Promise((r) => child.on('close', (c, sig) => r(sig || c)));
    Object.assign(facts, JSON.parse(out || '{}'), { exit });
  },
  // A storm of refused connects, at most 200 at a time: every one errors ECONNREFUSED then closes.
  async 'refused-storm'() {
    const probe = await server(() => {});
    const port = probe.address().port;
    await new Promise((r) => probe.close(r));
    const n = Number(countArg) || 5000;
    const hist = {};
    let started = 0;
    let active = 0;
    await new Promise((resolve) => {
      const more = () => {
        while (active < 200 && started < n) {
          started++;
          active++;
          const seq = [];
          const c = net.connect(port, '127.0.0.1');
          record(c, seq);
          c.on('close', () => {
            // 'close' is recorded by its own listener; read the sequence one tick later.
            process.nextTick(() => {
              hist[seq.join(',')] = (hist[seq.join(',')] || 0) + 1;
              active--;
              if (started === n && active === 0) resolve(); else more();
            });
          });
        }
      };
      more();
    });
    logs.histogram = Object.entries(hist).sort().map(([k, v]) => `${v}x ${k}`);
    facts.count = n;
  },
};

const fn = scenarios[scenario];
if (!fn) throw new Error(`no scenario ${scenario}`);
// Bounded wait whose timer is cleared, so it does not itself keep the child alive.
function bound(p, ms) {
  let t;
  return Promise.race([p, new Promise((r) => { t = setTimeout(r, ms, 'timeout'); })]).finally(() => clearTimeout(t));
}
fn().then(async () => {
  for (const [name, p] of closes) if (await bound(p, 5000) === 'timeout') facts[`noClose:${name}`] = true;
  report({ logs, facts });
  // No process.exit(): the child must exit by itself (a leaked handle is a hang).
});
module.exports = { scenarios };
