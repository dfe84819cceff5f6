// An echo server and client in TypeScript: rsnet has exactly the types of Node's net.
// Type-check: npx tsc -p __test__/types
// Run: npx tsc -p __test__/types --noEmit false --rootDir . --outDir /tmp/typed, then
// node /tmp/typed/examples/typed-echo.js with `rsnet` resolvable from there
// (__test__/types.test.js does both).
import net = require('rsnet');

const server: net.Server = net.createServer((socket: net.Socket) => socket.pipe(socket));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  const client: net.Socket = net.connect({ port, host: '127.0.0.1' }, () => {
    client.end('hello from typed rsnet');
  });
  client.setEncoding('utf8');
  client.on('data', (text: string) => console.log('echoed:', text));
  client.on('close', (hadError: boolean) => {
    server.close((err?: Error) => {
      if (err || hadError) process.exitCode = 1;
    });
  });
});
