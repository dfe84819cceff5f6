'use strict';
// rsnet bug repro: new Socket({ fd: 1 or 2 }) on a pipe, then destroy().
// libuv never closes fds 0-2 when it closes a handle ("nothing good comes from
// it"), so with net the process's stdout/stderr stay usable. rsnet closes the fd:
// the next socket the process opens gets fd 1 (or 2), and the first console.log()
// then throws (process.stdout cannot open fd 1: "open EEXIST") and kills the
// process; had stdout been opened before, its output would go into that socket.
//   node reliability/repro/stdio-fd-destroy.js net|rsnet 2>&1 | cat
// net: "fd 1 alive: true", then the stdout line. rsnet: "fd 1 alive: EBADF", then
// an uncaught "Error: open EEXIST" from console.log.
const fs = require('fs');
const net = require('../../__test__/helpers/harness').load(process.argv[2] === 'rsnet' ? 'rsnet' : 'net');
const s = new net.Socket({ fd: 1 });
s.on('error', () => {});
s.on('close', () => {
  let alive = true;
  try { fs.fstatSync(1); } catch (e) { alive = e.code; }
  fs.writeSync(2, `fd 1 alive: ${alive}\n`);
  const srv = net.createServer((c) => c.on('data', (d) => fs.writeSync(2, `the server received: ${JSON.stringify(String(d))}\n`)));
  srv.listen(0, '127.0.0.1', () => {
    const c = net.connect(srv.address().port, '127.0.0.1', () => {
      console.log('this line is for stdout');
      setTimeout(() => { c.destroy(); srv.close(); }, 100);
    });
  });
});
s.destroy();
