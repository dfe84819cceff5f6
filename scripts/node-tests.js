'use strict';
// `npm run node-tests -- <node>/test [filters...]`: runs Node's own test files for
// http, https, tls and net once on built-in net and once under `-r rsnet/register` per
// driver, and reports the files that pass on net but fail on rsnet. A report, not a
// gate: it exits 0 unless --strict. Not part of `npm test` (Node's tests are not ours).
//
// Each file runs as Node's tools/test.py runs it: `node <// Flags:> file`, cwd the test
// dir's parent, TEST_THREAD_ID (the job's slot: test/common/tmpdir.js makes its tmp dir
// <NODE_TEST_DIR>/.tmp.<slot>, so concurrent jobs never share one) and TEST_PARALLEL;
// sequential/ files run one at a time after the parallel ones, as Node runs them.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const REGISTER = path.join(ROOT, 'register.js');
const DEFAULT_NAMES = /^test-(?:http|https|tls|net)-.*\.[cm]?js$/;
const TEST_FILE = /^test-.*\.[cm]?js$/;
const SUITES = ['parallel', 'sequential'];
const TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 5000;

const USAGE = `usage: npm run node-tests -- <node's test dir> [filters...] [options]
  filters        substrings or globs (* ?) matched against e.g. parallel/test-tls-foo.js;
                 without any, the parallel/ and sequential/ files named test-http-*,
                 test-https-*, test-tls-*, test-net-*; with them, any test-* file they
                 match there (e.g. 'test-http2-*')
  --drivers L    rsnet drivers, comma-separated (default loop,threaded)
  --jobs N       files run at once (default 2; sequential/ files always run alone)
  --timeout S    seconds per file before it is killed (default 60)
  --json FILE    write every result to FILE
  --tail N       lines of stderr shown per failure (default 12)
  --strict       exit 1 if any file passes on net and fails on rsnet`;

function parseArgs(argv) {
  const opts = { testDir: null, filters: [], drivers: ['loop', 'threaded'], jobs: 2,
    timeout: 60, json: null, tail: 12, strict: false };
  const valueOf = (i) => {
    if (i >= argv.length) throw new Error(`${argv[i - 1]} needs a value`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--drivers') opts.drivers = valueOf(++i).split(',').filter(Boolean);
    else if (arg === '--jobs') opts.jobs = positiveInt(valueOf(++i), arg);
    else if (arg === '--timeout') opts.timeout = positiveInt(valueOf(++i), arg);
    else if (arg === '--tail') opts.tail = positiveInt(valueOf(++i), arg);
    else if (arg === '--json') opts.json = path.resolve(valueOf(++i));
    else if (arg === '--strict') opts.strict = true;
    else if (arg === '-h' || arg === '--help') return null;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else if (opts.testDir === null) opts.testDir = path.resolve(arg);
    else opts.filters.push(arg);
  }
  if (opts.testDir === null) return null;
  if (!fs.existsSync(path.join(opts.testDir, 'common', 'index.js'))) {
    throw new Error(`${opts.testDir} is not Node's test dir (no common/index.js)`);
  }
  return opts;
}

function positiveInt(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a positive integer, not ${text}`);
  return n;
}

// A filter with * or ? is a glob over the whole relative path or the file name; any
// other filter is a substring of the relative path.
function matcher(filter) {
  if (!/[*?]/.test(filter)) return (rel) => rel.includes(filter);
  const source = filter.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`);
  return (rel) => re.test(rel) || re.test(path.basename(rel));
}

function selectFiles(testDir, filters) {
  const matchers = filters.map(matcher);
  const files = [];
  for (const suite of SUITES) {
    const dir = path.join(testDir, suite);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const rel = `${suite}/${name}`;
      if (matchers.length === 0 ? !DEFAULT_NAMES.test(name) : !TEST_FILE.test(name) || !matchers.some((m) => m(rel))) continue;
      files.push({ rel, abs: path.join(dir, name), sequential: suite === 'sequential' });
    }
  }
  return files;
}

// The `// Flags: --a --b` lines, as tools/test.py reads them (every such line counts).
function readFlags(file) {
  const flags = [];
  for (const match of fs.readFileSync(file, 'utf8').matchAll(/\/\/\s+Flags:(.*)/g)) {
    flags.push(...match[1].trim().split(/\s+/).filter(Boolean));
  }
  return flags;
}

// 'net' first: it is the reference every rsnet mode is compared with.
function modesFor(drivers) {
  return [
    { name: 'net', preload: [], env: {} },
    ...drivers.map((driver) => ({
      name: `rsnet-${driver}`, preload: ['-r', REGISTER], env: { RSNET_DRIVER: driver },
    })),
  ];
}

// What a test process sees: the runner's env less NODE_PATH (as test.py) and less any
// rsnet setting of ours, plus the test runner's variables.
function testEnv(ctx, mode, file, slot) {
  const env = { ...process.env, ...mode.env };
  delete env.NODE_PATH;
  delete env.TEST_SERIAL_ID;
  if (mode.name === 'net') delete env.RSNET_DRIVER;
  return Object.assign(env, {
    NODE_TEST_DIR: ctx.tmpRoot,
    TEST_THREAD_ID: String(slot),
    TEST_PARALLEL: file.sequential ? '0' : '1',
    NODE_COMMON_PORT: String(ctx.port),
  });
}

// Keeps the last TAIL_BYTES of a stream.
function tailCollector(stream) {
  let chunks = [];
  let size = 0;
  stream.on('data', (chunk) => {
    chunks.push(chunk);
    size += chunk.length;
    while (size - chunks[0].length > TAIL_BYTES) size -= chunks.shift().length;
  });
  return () => {
    const text = Buffer.concat(chunks).toString('utf8');
    chunks = [];
    return text.slice(-TAIL_BYTES);
  };
}

// The whole process group: a test's children (servers, cluster workers) go with it.
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {}
}

function outcomeOf(code, signal, timedOut) {
  if (timedOut) return 'timeout';
  if (signal !== null) return 'crash';
  return code === 0 ? 'pass' : 'fail';
}

function runOne(ctx, file, mode, slot) {
  const args = [...mode.preload, ...file.flags, file.abs];
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: path.dirname(ctx.testDir),
    env: testEnv(ctx, mode, file, slot),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stdout = tailCollector(child.stdout);
  const stderr = tailCollector(child.stderr);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  }, ctx.timeout * 1000);
  return new Promise((resolve) => {
    let exit = null;
    // A child the test left behind must not hold the pipes (or a port) open.
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      killGroup(child.pid, 'SIGKILL');
    });
    child.on('error', (err) => {
      exit = { code: null, signal: null, error: err.message };
    });
    child.on('close', () => {
      clearTimeout(timer);
      const { code, signal, error } = exit || { code: null, signal: null };
      resolve({ outcome: error ? 'fail' : outcomeOf(code, signal, timedOut), code, signal, error,
        ms: Date.now() - started, stdout: stdout(), stderr: stderr() });
    });
  });
}

// Runs worker(job, slot) over jobs, at most `concurrency` at a time; slot is a free
// index below concurrency, so each running job has its own tmp dir.
async function runPool(jobs, concurrency, worker) {
  let next = 0;
  const lane = async (slot) => {
    while (next < jobs.length) await worker(jobs[next++], slot);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, (_, slot) => lane(slot)));
}

function describe(result) {
  if (result.outcome === 'timeout') return 'timed out';
  if (result.error) return result.error;
  return result.signal ? `signal ${result.signal}` : `exit ${result.code}`;
}

async function runAll(ctx, files, modes) {
  const jobs = files.flatMap((file) => modes.map((mode) => ({ file, mode })));
  let done = 0;
  const worker = async ({ file, mode }, slot) => {
    const result = await runOne(ctx, file, mode, slot);
    file.results[mode.name] = result;
    done++;
    if (result.outcome !== 'pass') {
      log(`${result.outcome.toUpperCase()} ${mode.name} ${file.rel} (${describe(result)}, ${result.ms} ms)`);
    }
    if (done % 100 === 0) log(`... ${done}/${ctx.total} runs`);
  };
  await runPool(jobs.filter((j) => !j.file.sequential), ctx.jobs, worker);
  await runPool(jobs.filter((j) => j.file.sequential), 1, worker);
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

// A port no one here listens on: sequential tests use common.PORT (and the few above
// it), and another checkout may be running Node's tests on the default 12346.
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(20000 + Math.floor(Math.random() * 10000), () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  }).catch(freePort);
}

function countOutcomes(files, modeName) {
  const counts = { pass: 0, fail: 0, crash: 0, timeout: 0 };
  for (const file of files) counts[file.results[modeName].outcome]++;
  return counts;
}

// Files that pass on net and do not under some rsnet mode.
function regressions(files, modes) {
  return files.filter((f) => f.results.net.outcome === 'pass' &&
    modes.some((m) => f.results[m.name].outcome !== 'pass'));
}

function lastLines(text, n) {
  return text.trimEnd().split('\n').slice(-n);
}

function printReport(ctx, files, modes) {
  const out = [];
  out.push(`\n# Node's tests (${ctx.testDir}), ${files.length} files, node ${process.version}`);
  for (const mode of modes) {
    const c = countOutcomes(files, mode.name);
    out.push(`${mode.name.padEnd(16)} pass ${c.pass}  fail ${c.fail}  crash ${c.crash}  timeout ${c.timeout}`);
  }
  const rsnetModes = modes.slice(1);
  const worse = regressions(files, rsnetModes);
  out.push(`\n# ${worse.length} file(s) pass on net and fail on rsnet`);
  for (const file of worse) {
    const verdicts = rsnetModes.map((m) => `${m.name}: ${file.results[m.name].outcome === 'pass'
      ? 'pass' : describe(file.results[m.name])}`);
    out.push(`\n## ${file.rel}  (${verdicts.join(', ')})`);
    const failing = rsnetModes.find((m) => file.results[m.name].outcome !== 'pass');
    for (const line of lastLines(file.results[failing.name].stderr, ctx.tail)) out.push(`   ${line}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return worse;
}

function writeJson(ctx, files, modes) {
  const report = {
    testDir: ctx.testDir, node: process.version, modes: modes.map((m) => m.name),
    timeoutSeconds: ctx.timeout,
    counts: Object.fromEntries(modes.map((m) => [m.name, countOutcomes(files, m.name)])),
    files: files.map(({ rel, flags, results }) => ({ file: rel, flags, results })),
  };
  fs.writeFileSync(ctx.json, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${ctx.json}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const files = selectFiles(opts.testDir, opts.filters);
  for (const file of files) {
    file.flags = readFlags(file.abs);
    file.results = {};
  }
  const modes = modesFor(opts.drivers);
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-node-tests-'));
  const ctx = { ...opts, tmpRoot, port: await freePort(), total: files.length * modes.length };
  log(`${files.length} files x ${modes.map((m) => m.name).join(', ')}; ${opts.jobs} at a time, ` +
    `${opts.timeout} s each; tmp ${tmpRoot}, common.PORT ${ctx.port}`);
  try {
    await runAll(ctx, files, modes);
  } finally {
    fs.rmSync(tmpRoot, { recursive: true, force: true, maxRetries: 3 });
  }
  const worse = printReport(ctx, files, modes);
  if (opts.json) writeJson(ctx, files, modes);
  return opts.strict && worse.length > 0 ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
}, (err) => {
  log(`node-tests: ${err.message}\n${USAGE}`);
  process.exitCode = 2;
});
