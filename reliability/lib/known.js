'use strict';
// Known differences from built-in net: open rsnet bugs (each with its issue or
// repro), and the places where built-in net itself misbehaves. A difference that
// matches an entry here is reported as "known" and does not fail the suite; the
// lead empties this list as the bugs are fixed, and every entry that stops
// matching is reported as stale, so it cannot linger.
//
// match(c, net, rsnet): c is the generated case (lib/bad-calls.js) or the fault
// scenario name; net/rsnet are the two normalized outcomes.
const descr = (c) => require('./bad-calls').describe(c);
const has = (o, re) => re.test(JSON.stringify(o));

module.exports = {
  badInput: [
    {
      id: 'localPort-invalid-EINVAL',
      why: 'open bug (being fixed): connect with an invalid localPort fails EINVAL in rsnet, ECONNREFUSED/other in net',
      match: (c, a, b) => /localPort/.test(descr(c)) && has(b, /EINVAL/),
    },
    {
      id: 'connect-pipe-connected-EINVAL',
      why: 'open bug (being fixed): connect() of a socket whose handle is already connected fails EINVAL in rsnet where net gives ENOENT',
      match: (c, a, b) => c.target === 'socket.connect' && has(b, /EINVAL/),
    },
    {
      id: 'symbol-owner-message',
      why: "open bug (being fixed): new Socket({ handle: <primitive> }) throws \"Cannot create property 'Symbol(owner)'\" where net says 'Symbol(owner_symbol)'",
      match: (c, a, b) => has(a, /Symbol\(owner_symbol\)/) && has(b, /Symbol\(owner\)/),
    },
    {
      id: 'scoped-ipv6-EINVAL',
      why: 'open bug (being fixed): a scoped IPv6 host (fe80::1%lo) fails EINVAL',
      match: (c, a, b) => /%/.test(descr(c)) && has(b, /EINVAL/),
    },
    {
      id: 'resetAndDestroy-ended',
      why: 'open bug (being fixed): resetAndDestroy() on an ended socket',
      match: (c) => c.target === 'socket.resetAndDestroy' && c.state === 'ended',
    },
  ],
  faults: [
    {
      id: 'reset-mid-write-write-ECONNRESET',
      why: 'open bug (being fixed): a peer reset during a large write is reported as write ECONNRESET (and fails the write callback) instead of read ECONNRESET; seen with the threaded driver, some runs',
      match: (scenario, a, b) => scenario === 'reset-mid-write' && has(b, /ECONNRESET:write/) && has(a, /ECONNRESET:read/),
    },
    {
      id: 'close-with-backlog-graceful',
      why: 'rsnet bug (found by this suite, reliability/repro/close-with-backlog.js): threaded driver, some runs: server.close() ends connections accepted natively but never delivered to JS with a FIN; net leaves them in the kernel backlog, which resets them',
      match: (scenario, a, b) => scenario === 'close-with-backlog' && b.facts && b.facts.clientsEndedCleanly > 1,
    },
    {
      id: 'stdio-fd-closed-on-destroy',
      why: 'rsnet bug (found by this suite, reliability/repro/stdio-fd-destroy.js): destroy() of a Socket adopted on fd 0-2 closes the fd (libuv never does); the next socket takes it, console.log then throws open EEXIST',
      match: (scenario, a, b) => scenario === 'stdio-fd-destroy' && b.facts && b.facts.alive === 'EBADF',
    },
  ],
};
