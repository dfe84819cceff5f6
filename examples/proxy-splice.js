'use strict';
// A TCP proxy in two pipe() calls. Between two rsnet sockets, pipe() is spliced
// natively: the bytes go socket to socket in Rust and never enter JavaScript.
// Run: node examples/proxy-splice.js   (sends 64 MiB client -> proxy -> echo -> back)
const net = require('..');

const TOTAL = 64 * 1024 * 1024;

const echo = net.createServer((socket) => socket.pipe(socket));
// Half-open on both legs: the client's FIN must not cut the answers still coming back.
const proxy = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ port: echo.address().port, host: '127.0.0.1', allowHalfOpen: true });
  client.pipe(upstream).pipe(client);
  client.on('close', () => console.log(`proxy moved ${client.bytesRead} bytes up, ` +
    `${client.bytesWritten} bytes down`));
});

echo.listen(0, '127.0.0.1', () => proxy.listen(0, '127.0.0.1', run));

function run() {
  const started = process.hrtime.bigint();
  const client = net.connect(proxy.address().port, '127.0.0.1');
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  let sent = 0;
  let received = 0;
  const send = () => {
    while (sent < TOTAL) {
      sent += chunk.length;
      if (!client.write(chunk)) return client.once('drain', send);
    }
    client.end();
  };
  client.on('connect', send);
  client.on('data', (data) => { received += data.length; });
  client.on('end', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`echoed ${received} of ${TOTAL} bytes through the proxy in ${seconds.toFixed(2)} s ` +
      `(${(received / seconds / 1e6).toFixed(0)} MB/s)`);
    proxy.close();
    echo.close();
  });
}
