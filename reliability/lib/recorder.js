'use strict';
// Records the events a socket or server emits, in order, in a form that can be
// compared between net and rsnet:
// - errors by code and syscall (messages carry ports and addresses);
// - consecutive 'data' events as one 'data' (TCP may split or coalesce reads);
// - no 'drain' (how many there are depends on how the kernel buffers fill,
//   which differs between runs of net itself).
const SOCKET_EVENTS = ['lookup', 'connect', 'ready', 'data', 'timeout', 'end', 'finish', 'error', 'close'];
const SERVER_EVENTS = ['listening', 'connection', 'error', 'close'];

function record(em, log, events) {
  const isServer = typeof em.listen === 'function';
  for (const ev of events || (isServer ? SERVER_EVENTS : SOCKET_EVENTS)) {
    em.on(ev, (...a) => {
      let entry = ev;
      if (ev === 'error') entry = `error:${a[0] && a[0].code}:${a[0] && a[0].syscall}`;
      else if (ev === 'close' && a[0] === true) entry = 'close(hadError)';
      if (ev === 'data' && log[log.length - 1] === 'data') return;
      log.push(entry);
    });
  }
  return log;
}

module.exports = { record, SOCKET_EVENTS, SERVER_EVENTS };
