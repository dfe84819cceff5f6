'use strict';
// process.getActiveResourcesInfo() lists what keeps the event loop alive: Node builds
// it from libuv's requests, its own handle wraps (TCPSocketWrap, TCPServerWrap,
// PipeWrap...) and timers. rsnet's sockets and servers are not Node handle wraps, so
// tools that look for open handles (test runners' leak checks, why-is-node-running)
// would not see them. Loading rsnet wraps the function to add them: every open,
// ref'd rsnet handle under the name Node gives its own, before the trailing timers.

const { ServerHandle, liveHandles } = require('./binding');
const { kIsPipe } = require('./symbols');

function nameOf(handle) {
  if (handle[kIsPipe]) return 'PipeWrap';
  return handle instanceof ServerHandle ? 'TCPServerWrap' : 'TCPSocketWrap';
}

function install() {
  const original = process.getActiveResourcesInfo;
  if (typeof original !== 'function' || original.rsnet) return;
  function getActiveResourcesInfo() {
    const info = original.call(process);
    const ours = [];
    for (const handle of liveHandles()) {
      if (handle.hasRef()) ours.push(nameOf(handle));
    }
    if (ours.length === 0) return info;
    let timers = info.length;
    while (timers > 0 && info[timers - 1] === 'Timeout') timers--;
    info.splice(timers, 0, ...ours);
    return info;
  }
  Object.defineProperty(getActiveResourcesInfo, 'rsnet', { value: true });
  process.getActiveResourcesInfo = getActiveResourcesInfo;
}

module.exports = { install };
