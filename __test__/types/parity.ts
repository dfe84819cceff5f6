// rsnet's module type is Node's net module type, both ways: whatever type-checks with
// `import net = require('net')` type-checks with `import net = require('rsnet')`.
import rsnet = require('rsnet');
import net = require('node:net');
import { Socket, Server, type AddressInfo, type SocketConnectOpts } from 'rsnet';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const sameModule: Same<typeof rsnet, typeof net> = true;
export const sameSocket: Same<Socket, net.Socket> = true;
export const sameServer: Same<Server, net.Server> = true;

// Values cross freely between the two.
const fromRsnet: net.Socket = rsnet.connect(0);
const fromNode: rsnet.Socket = net.connect(0);
const options: SocketConnectOpts = { port: 1, host: '::1', autoSelectFamily: true };
const server: net.Server = rsnet.createServer({ pauseOnConnect: true }).listen({ port: 0, signal: AbortSignal.abort() });
const info = server.address() as AddressInfo | null;
export const used = [fromRsnet, fromNode, options, info?.port, rsnet.isIP('::1'), new rsnet.BlockList(),
  rsnet.getDefaultAutoSelectFamilyAttemptTimeout()];
