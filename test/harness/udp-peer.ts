// A bare UDP socket on 127.0.0.1 for tests: send bytes, keep every received datagram with its
// arrival time and sender. It knows nothing about the Jamulus protocol on purpose, so tests can
// play a hostile or silent peer, or just watch what a real program sends.
import { createSocket, Socket, RemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';

export interface Datagram {
  data: Buffer;
  /** performance.now() at arrival, ms. */
  at: number;
  from: { address: string; port: number };
}

/** Events: 'message' (Datagram). */
export class UdpPeer extends EventEmitter {
  readonly socket: Socket;
  readonly port: number;
  /** Everything received so far (cleared by clear()). */
  readonly received: Datagram[] = [];
  private closed = false;

  private constructor(socket: Socket, port: number) {
    super();
    this.socket = socket;
    this.port = port;
    socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
      const d: Datagram = { data, at: performance.now(), from: { address: rinfo.address, port: rinfo.port } };
      this.received.push(d);
      this.emit('message', d);
    });
  }

  /** Binds 127.0.0.1:`port` (0: any free port). */
  static open(port = 0): Promise<UdpPeer> {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => {
        s.removeListener('error', reject);
        resolve(new UdpPeer(s, s.address().port));
      });
    });
  }

  send(data: Uint8Array, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, address, (err) => (err ? reject(err) : resolve())));
  }

  /** Datagrams received so far that satisfy `filter`. */
  collected(filter: (d: Datagram) => boolean = () => true): Datagram[] {
    return this.received.filter(filter);
  }

  /** Resolves with the first datagram (already received or future) matching `filter`. */
  waitFor(filter: (d: Datagram) => boolean = () => true, timeoutMs = 5000): Promise<Datagram> {
    const have = this.received.find(filter);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const onMsg = (d: Datagram): void => {
        if (!filter(d)) return;
        clearTimeout(timer);
        this.off('message', onMsg);
        resolve(d);
      };
      const timer = setTimeout(() => {
        this.off('message', onMsg);
        reject(new Error(`udp/${this.port}: no matching datagram within ${timeoutMs} ms (${this.received.length} received)`));
      }, timeoutMs);
      this.on('message', onMsg);
    });
  }

  /** Collects for `ms` milliseconds from now and returns what arrived in that span. */
  async collectFor(ms: number, filter: (d: Datagram) => boolean = () => true): Promise<Datagram[]> {
    const start = this.received.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.received.slice(start).filter(filter);
  }

  clear(): void {
    this.received.length = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

/** Sizes and rate of a list of datagrams: size → count, and datagrams per second over their span. */
export function trafficSummary(datagrams: readonly Datagram[]): { sizes: Map<number, number>; perSecond: number } {
  const sizes = new Map<number, number>();
  for (const d of datagrams) sizes.set(d.data.length, (sizes.get(d.data.length) ?? 0) + 1);
  const span = datagrams.length > 1 ? (datagrams[datagrams.length - 1]!.at - datagrams[0]!.at) / 1000 : 0;
  return { sizes, perSecond: span > 0 ? (datagrams.length - 1) / span : 0 };
}

export interface RelayedDatagram extends Datagram {
  /** 'up': from a downstream peer toward the target; 'down': from the target back. */
  direction: 'up' | 'down';
  /** Source port of the downstream peer this datagram belongs to. */
  peerPort: number;
}

/**
 * A transparent UDP relay on 127.0.0.1: peers send to `relay.port`, the relay forwards to the
 * target from one upstream socket per peer (so the target still sees distinct senders) and sends
 * replies back. Every datagram is recorded both ways, so a test can see exactly what a real
 * client and server exchange — without tcpdump and without decoding anything itself.
 * `drop` lets a test lose chosen datagrams.
 */
export class UdpRelay {
  readonly port: number;
  readonly log: RelayedDatagram[] = [];
  drop: (d: RelayedDatagram) => boolean = () => false;
  private readonly front: Socket;
  private readonly upstream = new Map<number, Socket>();
  private closed = false;

  private constructor(front: Socket, private readonly targetPort: number, private readonly targetAddress: string) {
    this.front = front;
    this.port = front.address().port;
    front.on('message', (data, rinfo) => this.fromPeer(data, rinfo));
  }

  static open(targetPort: number, targetAddress = '127.0.0.1'): Promise<UdpRelay> {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => {
        s.removeListener('error', reject);
        resolve(new UdpRelay(s, targetPort, targetAddress));
      });
    });
  }

  /** "127.0.0.1:port" to give a client instead of the real server address. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private fromPeer(data: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    let up = this.upstream.get(rinfo.port);
    if (!up) {
      const sock = createSocket('udp4');
      sock.bind(0, '127.0.0.1');
      sock.on('message', (reply) => {
        const d: RelayedDatagram = { data: reply, at: performance.now(), from: { address: this.targetAddress, port: this.targetPort }, direction: 'down', peerPort: rinfo.port };
        this.log.push(d);
        if (!this.closed && !this.drop(d)) this.front.send(reply, rinfo.port, rinfo.address);
      });
      this.upstream.set(rinfo.port, sock);
      up = sock;
    }
    const d: RelayedDatagram = { data, at: performance.now(), from: { address: rinfo.address, port: rinfo.port }, direction: 'up', peerPort: rinfo.port };
    this.log.push(d);
    if (!this.drop(d)) up.send(data, this.targetPort, this.targetAddress);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.front.close();
    for (const s of this.upstream.values()) s.close();
  }
}
