'use strict';
// Regression repro (an rsnet bug, fixed): server.close() while connections wait in the accept backlog.
// The server (net or rsnet) closes in its first 'connection' handler; five
// clients in another process (built-in net) connected at once. With net the
// four connections not yet accepted are reset by the kernel when the listening
// fd closes: those clients see 'connect' then 'error' ECONNRESET. With rsnet
// they see 'connect' then 'end' (a clean FIN) and the server never emitted
// 'connection' for them: rsnet had accepted them natively ahead of JS and, on
// close(), shuts them down gracefully instead of aborting them, so a client
// cannot tell "dropped by a closing server" from "served and ended".
// Seen with RSNET_DRIVER=threaded in about half the runs (the Tokio thread must
// win the race to accept them); never with the loop driver.
//   for i in 1 2 3 4 5 6; do RSNET_DRIVER=threaded node reliability/repro/close-with-backlog.js rsnet | grep -c end; done
// (prints 1 when it behaves as net, 5 when it does not)
const { spawn } = require('child_process');
const net = require('../../__test__/helpers/harness').load(process.argv[2] === 'rsnet' ? 'rsnet' : 'net');
let conns = 0;
const srv = net.createServer((s) => {
  conns++;
  srv.close(() => console.log(`server close after ${conns} 'connection' event(s)`));
  setTimeout(() => s.destroy(), 300);
});
srv.listen(0, '127.0.0.1', () => {
  const clients = `
    let n = 0;
    for (let i = 0; i < 5; i++) {
      const c = require('net').connect(${srv.address().port}, '127.0.0.1');
      const ev = [];
      for (const e of ['connect', 'end', 'error', 'close']) c.on(e, (x) => ev.push(e === 'error' ? 'error:' + x.code : e));
      c.on('close', () => { console.log('client', i + ':', ev.join(' ')); });
    }`;
  spawn(process.execPath, ['-e', clients], { stdio: 'inherit' });
});
