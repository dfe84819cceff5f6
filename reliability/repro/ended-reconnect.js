'use strict';
// rsnet bug repro: connect() again on a socket that is connected and ended (its
// write side shut down). Node reuses the socket's handle: the connect fails with
// EISCONN ('lookup', 'error' EISCONN, 'close' hadError). rsnet silently carries on
// with the old connection: 'lookup', then the old peer's 'end', then 'close'.
//   node reliability/repro/ended-reconnect.js net|rsnet
const net = process.argv[2] === 'rsnet' ? require('../..') : require('net');
const srv = net.createServer((c) => { c.resume(); c.on('end', () => c.end()); }).listen(0, '127.0.0.1', () => {
  const s = net.connect(srv.address().port, '127.0.0.1', () => {
    s.end();
    s.on('finish', () => {
      for (const ev of ['lookup', 'connect', 'end', 'error', 'close']) s.on(ev, (e) => console.log(ev, ev === 'error' ? e.code : ''));
      s.connect(1, ...(process.argv[3] ? [process.argv[3]] : []), () => console.log('connect callback'));
      setTimeout(() => { s.destroy(); srv.close(); }, 300);
    });
  });
});
