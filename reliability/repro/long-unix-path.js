'use strict';
// rsnet bug repro: a Unix socket path longer than sun_path (108 bytes).
// Node (libuv) truncates the path to fit, listens on the truncated path, and
// server.close() removes that file; connecting to the long path later fails
// ENOENT. rsnet leaves the socket file behind after close(), so a second
// listen() on the same path fails EADDRINUSE and a connect() fails ECONNREFUSED.
//   node reliability/repro/long-unix-path.js net|rsnet
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = process.argv[2] === 'rsnet' ? require('../..') : require('net');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-longpath-'));
const long = path.join(dir, 'p'.repeat(150));
const srv = net.createServer();
srv.on('error', (e) => console.log('first listen error', e.code));
srv.listen(long, () => {
  console.log('listening; files in dir:', fs.readdirSync(dir).map((f) => f.length));
  srv.close(() => {
    console.log('closed; files left in dir:', fs.readdirSync(dir).map((f) => f.length));
    const again = net.createServer();
    again.on('error', (e) => console.log('second listen error', e.code));
    again.listen(long, () => { console.log('second listen ok'); again.close(); });
    const c = net.connect(long);
    c.on('error', (e) => console.log('connect error', e.code));
    setTimeout(() => fs.rmSync(dir, { recursive: true, force: true }), 200);
  });
});
