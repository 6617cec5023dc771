// One request/answer exchange with the gateway's NAT-PMP/PCP port: a connected UDP socket (so only
// the gateway's answers arrive), retransmitted on a schedule (RFC 6886 §3.1 and RFC 6887 §8.1.1 both
// double the wait; ours is shorter, the gateway is one hop away), and the box's own address on that
// path, which PCP must write into its request.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { PMP_PCP_SERVER_PORT } from './nat-pmp.js';

export class NoAnswerError extends Error {
  constructor(readonly gateway: string, readonly what: string) {
    super(`no ${what} answer from ${gateway}`);
    this.name = 'NoAnswerError';
  }
}

/** Waits between sends: 4 sends over 1.75 s, then 1 s more for a late answer. */
export const DEFAULT_RETRANSMIT_MS: readonly number[] = [250, 500, 1000, 1000];

export interface ExchangeOptions {
  gateway: string;
  port?: number;
  /** Human name of the protocol, for errors. */
  what: string;
  retransmitMs?: readonly number[];
  /** Send from this address (an IPv6 pinhole must be asked for from the global address, not the link-local one). */
  bindAddress?: string;
}

/**
 * Sends `build(localAddress)` to the gateway until `accept` returns a value for an answer. Answers
 * `accept` rejects (null) are ignored: another protocol's datagram, or an answer to an older request.
 */
export function exchange<T>(o: ExchangeOptions, build: (localAddress: string) => Buffer, accept: (answer: Buffer) => T | null): Promise<{ value: T; localAddress: string }> {
  const schedule = o.retransmitMs ?? DEFAULT_RETRANSMIT_MS;
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(isIPv6(o.gateway.replace(/%.*$/, '')) ? 'udp6' : 'udp4');
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    let localAddress = '';
    let request: Buffer | null = null;
    const finish = (err: Error | null, value?: T): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve({ value: value as T, localAddress });
    };
    const sendAt = (i: number): void => {
      if (done || !request) return;
      socket.send(request, (e) => {
        if (e && !done) finish(e);
      });
      timer = setTimeout(() => (i + 1 < schedule.length ? sendAt(i + 1) : finish(new NoAnswerError(o.gateway, o.what))), schedule[i]);
    };
    socket.on('error', (e) => {
      // ECONNREFUSED: the gateway answered with ICMP port unreachable, i.e. nothing listens there.
      if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') finish(new NoAnswerError(o.gateway, o.what));
      else finish(e);
    });
    socket.on('message', (msg) => {
      let value: T | null;
      try {
        value = accept(msg);
      } catch {
        value = null;
      }
      if (value !== null) finish(null, value);
    });
    const connect = (): void =>
      socket.connect(o.port ?? PMP_PCP_SERVER_PORT, o.gateway, () => {
        try {
          localAddress = socket.address().address;
          request = build(localAddress);
        } catch (e) {
          finish(e as Error);
          return;
        }
        sendAt(0);
      });
    if (o.bindAddress) socket.bind(0, o.bindAddress, connect);
    else connect();
  });
}
