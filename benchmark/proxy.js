'use strict';
// TCP proxy under test: for every client, connect to the fixed upstream (the
// plain-Rust echo server) and pipe both ways, as a Node user would.
// Usage: RSNET_BENCH_MODULE=net|rsnet node proxy.js --upstream PORT
// Prints {"port":P,"pid":N,"module":M,"driver":D} once listening on 127.0.0.1.
const { net, name, driver } = require('./net-module');
const { exitWithParent } = require('./lifetime');
const { parseOptions, fail } = require('./cli');

const opt = parseOptions(process.argv.slice(2), { upstream: 0 });
if (!opt.upstream) fail('--upstream PORT is required');
exitWithParent();

const server = net.createServer((client) => {
  const upstream = net.connect(opt.upstream, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  // pipe() does not forward errors: when either side fails, tear down both.
  const teardown = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', teardown);
  upstream.on('error', teardown);
});

server.on('error', (err) => {
  console.error(`proxy (${name}): ${err.stack || err}`);
  process.exit(1);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid, module: name, driver: driver() })}\n`);
});
