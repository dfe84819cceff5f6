// What `import ... from 'node:net'` gives under rsnet/register: rsnet itself (the same
// object as require('net')) with Node 20's named exports of 'net'.
import { createRequire } from 'node:module';

const net = createRequire(import.meta.url)('../index.js');

export default net;
export const {
  _createServerHandle, _normalizeArgs, _setSimultaneousAccepts, BlockList, SocketAddress,
  connect, createConnection, createServer, isIP, isIPv4, isIPv6, Server, Socket, Stream,
  getDefaultAutoSelectFamily, setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout, setDefaultAutoSelectFamilyAttemptTimeout,
} = net;
