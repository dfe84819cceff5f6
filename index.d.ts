// Types of rsnet: exactly those of Node's `net` module (from @types/node), so code that
// type-checks with `import net = require('net')` type-checks with `require('rsnet')`.
/// <reference types="node" />
export * from 'node:net';

// ---------------------------------------------------------------------------
// rsnet beyond net (Linux only; README "Beyond net"). Types only: the module's values
// keep exactly Node's types, and Node's own `net` types are not touched. A program
// that uses the extensions names these types, e.g.
//   const options: rsnet.ExtendedListenOptions = { port: 80, reusePort: true };
//   server.listen(options);
//   const info = (socket as rsnet.ExtendedSocket).getTCPInfo();

import type {
  ListenOptions, ServerOpts, Socket, SocketConstructorOpts, TcpSocketConnectOpts,
} from 'node:net';

/** Keep-alive probe settings (rsnet): TCP_KEEPINTVL and TCP_KEEPCNT. */
export interface KeepAliveProbes {
  /** Milliseconds between unanswered probes, as whole seconds (under 1000: unchanged). 0..32767000. */
  interval?: number | undefined;
  /** Unanswered probes before the connection is dropped. 1..127. */
  count?: number | undefined;
}

/** `getsockopt(TCP_INFO)` of a connected TCP socket, as the kernel reports it (rsnet). */
export interface TCPInfo {
  state: 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'TIME_WAIT' |
    'CLOSE' | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'CLOSING' | 'NEW_SYN_RECV';
  caState: number;
  retransmits: number;
  probes: number;
  backoff: number;
  /** TCPI_OPT_* bits (1 timestamps, 2 SACK, 4 window scale, 8 ECN, 32 SYN carried data). */
  options: number;
  /** Retransmission timeout, µs. */
  rto: number;
  /** Delayed-ACK timeout, µs. */
  ato: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  /** ms since the last data was sent. */
  lastDataSent: number;
  /** ms since the last data was received. */
  lastDataRecv: number;
  /** ms since the last ACK was received. */
  lastAckRecv: number;
  pmtu: number;
  rcvSsthresh: number;
  /** Smoothed round-trip time, µs. */
  rtt: number;
  /** Round-trip time variation, µs. */
  rttVar: number;
  sndSsthresh: number;
  /** Congestion window, in segments. */
  sndCwnd: number;
  advmss: number;
  reordering: number;
  /** Receiver-side RTT estimate, µs. */
  rcvRtt: number;
  rcvSpace: number;
  totalRetrans: number;
  bytesAcked: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  notsentBytes: number;
  /** Minimum RTT seen, µs. */
  minRtt: number;
  /** Bytes per second. */
  deliveryRate: number;
}

/** What an rsnet socket adds to `net.Socket` (Linux; no-ops on Unix sockets). */
export interface SocketExtensions {
  /** Node's setKeepAlive, plus TCP_KEEPINTVL/TCP_KEEPCNT, remembered and applied while keep-alive is on. */
  setKeepAlive(enable?: boolean, initialDelay?: number, probes?: KeepAliveProbes): this;
  /** TCP_USER_TIMEOUT in ms (0: the system default). */
  setUserTimeout(msecs: number): this;
  /** IP_TOS (IPv4) or IPV6_TCLASS (IPv6), 0..255. */
  setTypeOfService(tos: number): this;
  /** TCP_INFO, or undefined without a connected TCP socket. */
  getTCPInfo(): TCPInfo | undefined;
  /**
   * Sends a file (a path, or an open fd left open) with sendfile(2), off the JS thread,
   * in order with the socket's writes; `end` is inclusive. Resolves with the bytes sent.
   */
  sendFile(file: string | Buffer | URL | number, options?: { start?: number; end?: number }): Promise<number>;
}

/** An rsnet socket seen with its extensions. */
export type ExtendedSocket = Socket & SocketExtensions;

/** `new Socket(options)` / `net.connect(options)` options of rsnet. */
export interface ExtendedSocketConstructorOpts extends SocketConstructorOpts {
  /** Keep-alive probe interval (ms), applied with `keepAlive`. */
  keepAliveInterval?: number | undefined;
  /** Keep-alive probe count, applied with `keepAlive`. */
  keepAliveCount?: number | undefined;
}

/** TCP connect options of rsnet. */
export interface ExtendedTcpSocketConnectOpts extends TcpSocketConnectOpts {
  /** TCP_FASTOPEN_CONNECT: the first write rides in the SYN where the kernel has a cookie. */
  fastOpen?: boolean | undefined;
  keepAliveInterval?: number | undefined;
  keepAliveCount?: number | undefined;
}

/** `listen(options)` options of rsnet. */
export interface ExtendedListenOptions extends ListenOptions {
  /** SO_REUSEPORT before bind (Node 22's option): several sockets share the port. */
  reusePort?: boolean | undefined;
  /** TCP_FASTOPEN queue length on the listener. */
  fastOpen?: number | undefined;
}

/** `createServer(options)` options of rsnet: probes for accepted sockets (with `keepAlive`). */
export interface ExtendedServerOpts extends ServerOpts {
  keepAliveInterval?: number | undefined;
  keepAliveCount?: number | undefined;
}
