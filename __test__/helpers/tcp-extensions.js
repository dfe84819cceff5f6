'use strict';
// Shared by tcp-extensions*.test.js (rsnet beyond net, issue #20): what the kernel
// reports about a socket (ss), the private network namespace its scenarios run in, and
// small server and socket steps.

const { spawn, spawnSync, execFileSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const net = require('../..');
const { within, once } = require('../fixtures/util');

const LINUX = process.platform === 'linux';
const haveSs = LINUX && spawnSync('ss', ['-V']).status === 0;
// A private network namespace, with ip(8) in it, for the scenarios that take their
// loopback down or change a sysctl.
const canUnshare = LINUX && spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up']).status === 0;
const haveIPv6 = Object.values(os.networkInterfaces()).flat()
  .some((i) => i && i.family === 'IPv6' && i.address === '::1');
const NO_SS = haveSs ? false : 'ss (iproute2) is not installed: npm test installs it (scripts/test-services.js)';
const NO_NETNS = canUnshare ? false : 'cannot make a private network namespace here (unshare -n needs root)';
const NETNS_FIXTURE = path.join(__dirname, '..', 'fixtures', 'tcp-extensions-netns.js');

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
  const script = `${setup.join(' && ')} && exec "$0" "$1" "$2"`;
  return within(new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-n', 'sh', '-c', script, process.execPath, NETNS_FIXTURE, scenario], {
      env: process.env,
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

// Node-shaped validation errors, as assert.throws() matches them.
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

module.exports = {
  LINUX, NO_SS, NO_NETNS, haveIPv6,
  listening, listenError, closeServer, ss, inNetns, echoPair, roundTrip, shutdown, typeError, rangeError,
};
