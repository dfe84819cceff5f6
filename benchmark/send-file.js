'use strict';
// Sending a file to a socket (rsnet beyond net, issue #20), not part of run.js:
// `fs.createReadStream(file).pipe(socket)` on built-in net, the same on rsnet (where it
// goes by sendfile(2)), and rsnet's `socket.sendFile(file)`. A 64 MiB file of random
// bytes, sent REPS times per measurement over 127.0.0.1 to a receiver in a process of
// its own (built-in net, discarding). Reported: MB/s (from connect to the receiver's
// EOF) and the sender's CPU per GB (process.cpuUsage: user + system time of all its
// threads, so rsnet's runtime thread that calls sendfile(2) is counted). Each
// measurement is a fresh sender process; the methods are interleaved in every round;
// medians of ROUNDS rounds.
//
//   node benchmark/send-file.js [--rounds 3] [--reps 8] [--size-mib 64] [--pin 0,1|none]
//
// The sender is pinned to the first CPU, the receiver to the second (taskset), when
// the machine has two and taskset exists.

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..');
const METHODS = {
  'net: createReadStream().pipe(socket)': { module: 'net', how: 'pipe' },
  'rsnet: createReadStream().pipe(socket)': { module: 'rsnet', how: 'pipe' },
  'rsnet: socket.sendFile(file)': { module: 'rsnet', how: 'sendFile' },
};

// ---------------------------------------------------------------------------
// Children: the receiver and the sender.

// Discards what it receives; ends each connection at the sender's EOF.
function receiver() {
  const server = require('node:net').createServer((s) => {
    s.resume();
    s.on('end', () => s.end());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

// Sends the file REPS times (one connection each, after one unmeasured warm-up send),
// then prints { seconds, cpuMicros, bytes }.
async function sender(moduleName, how, port, file, reps) {
  const net = moduleName === 'net' ? require('node:net') : require(ROOT);
  const sendOnce = () => new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      if (how === 'pipe') {
        fs.createReadStream(file).pipe(socket);
      } else {
        socket.sendFile(file).then(() => socket.end(), reject);
      }
    });
    socket.resume();
    socket.on('error', reject);
    socket.on('close', () => resolve(socket.bytesWritten));
  });
  await sendOnce();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < reps; i++) bytes += await sendOnce();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ seconds, cpuMicros: used.user + used.system, bytes })}\n`);
}

// ---------------------------------------------------------------------------
// The runner.

function pinning(spec) {
  if (spec === 'none') return null;
  const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
  if (!hasTaskset || os.availableParallelism() < 2) return null;
  const [send, receive] = (spec || '0,1').split(',');
  return { send, receive };
}

function pinned(cpu, args) {
  return cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', cpu, process.execPath, ...args]];
}

function startReceiver(pin) {
  const [cmd, args] = pinned(pin?.receive, [__filename, '--child', 'receiver']);
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
  });
}

function runSender(pin, method, port, file, reps) {
  const { module: moduleName, how } = METHODS[method];
  const [cmd, args] = pinned(pin?.send, [__filename, '--child', 'sender', moduleName, how, String(port), file, String(reps)]);
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${method}: sender failed (${r.error?.message || `exit ${r.status}`}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      reps: { type: 'string', default: '8' },
      'size-mib': { type: 'string', default: '64' },
      pin: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const reps = Number(values.reps);
  const size = Number(values['size-mib']) * 1024 * 1024;
  const pin = pinning(values.pin);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-bench-sendfile-'));
  const file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, crypto.randomBytes(size));
  const { child, port } = await startReceiver(pin);
  const results = Object.fromEntries(Object.keys(METHODS).map((m) => [m, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const method of Object.keys(METHODS)) {
        const r = runSender(pin, method, port, file, reps);
        if (r.bytes !== size * reps) throw new Error(`${method}: sent ${r.bytes} bytes, not ${size * reps}`);
        const gb = r.bytes / 1e9;
        results[method].push({ mbps: r.bytes / 1e6 / r.seconds, cpuMsPerGb: r.cpuMicros / 1000 / gb });
        process.stderr.write(`round ${round + 1} ${method}: ${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s, ${(r.cpuMicros / 1000 / gb).toFixed(0)} ms CPU/GB\n`);
      }
    }
  } finally {
    child.stdin.end();
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const base = Object.keys(METHODS)[0];
  const baseMbps = median(results[base].map((r) => r.mbps));
  const baseCpu = median(results[base].map((r) => r.cpuMsPerGb));
  console.log(`\n${values['size-mib']} MiB file x ${reps} sends per measurement, median of ${rounds} interleaved rounds; ` +
    `node ${process.version}, ${os.availableParallelism()} CPUs, ` +
    `${pin ? `sender on CPU ${pin.send}, receiver on CPU ${pin.receive}` : 'not pinned'}\n`);
  console.log('| method | MB/s | sender CPU ms per GB | MB/s vs net | CPU per GB vs net |');
  console.log('|---|--:|--:|--:|--:|');
  for (const method of Object.keys(METHODS)) {
    const mbps = median(results[method].map((r) => r.mbps));
    const cpu = median(results[method].map((r) => r.cpuMsPerGb));
    console.log(`| ${method} | ${mbps.toFixed(0)} | ${cpu.toFixed(0)} | ${(mbps / baseMbps).toFixed(2)}x | ${(cpu / baseCpu).toFixed(2)}x |`);
  }
}

if (process.argv[2] === '--child') {
  if (process.argv[3] === 'receiver') receiver();
  else sender(process.argv[4], process.argv[5], Number(process.argv[6]), process.argv[7], Number(process.argv[8]));
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
