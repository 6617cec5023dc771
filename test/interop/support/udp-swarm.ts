// Many UDP sources for hostile-traffic tests, on the addon's native socket (one sendmmsg per batch), so a test
// can send tens of thousands of datagrams a second without its own event loop being the bottleneck. Each
// source is its own socket (its own port, so the server sees a distinct sender; with `distinctAddresses`, also
// its own loopback address 127.77.x.y, so per-address budgets see distinct hosts) and counts what it receives
// back. It never answers anything: it plays senders that cannot, or will not, take part.
import { NativeUdpSocket, ipv4ToUint } from '../../../appliance/src/net/udp-socket.js';

export class UdpSwarm {
  readonly sockets: NativeUdpSocket[] = [];
  /** Per source: datagrams and payload bytes received from anyone. */
  readonly receivedDatagrams: number[] = [];
  readonly receivedBytes: number[] = [];
  /** Per source: payload bytes sent. */
  readonly sentBytes: number[] = [];
  private readonly target: number;

  private constructor(
    count: number,
    private readonly targetPort: number,
    targetAddress: string,
    distinctAddresses: boolean,
  ) {
    this.target = ipv4ToUint(targetAddress);
    try {
      for (let i = 0; i < count; i++) {
        const address = distinctAddresses ? `127.77.${(i + 1) >> 8}.${(i + 1) & 255}` : '127.0.0.1';
        // Small slots: a swarm of hundreds must not cost its test hundreds of megabytes (and seconds to zero them).
        this.sockets.push(new NativeUdpSocket({ port: 0, address, recvBufferBytes: 1 << 18, maxBatch: 32, slotBytes: 1024, sendQueueLength: 128 }));
        this.receivedDatagrams.push(0);
        this.receivedBytes.push(0);
        this.sentBytes.push(0);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  static open(count: number, targetPort: number, opts: { targetAddress?: string; distinctAddresses?: boolean } = {}): UdpSwarm {
    if (opts.distinctAddresses && count > 65535) throw new RangeError('UdpSwarm: at most 65535 distinct addresses');
    return new UdpSwarm(count, targetPort, opts.targetAddress ?? '127.0.0.1', opts.distinctAddresses ?? false);
  }

  /** Source i's port. */
  port(i: number): number {
    return this.sockets[i]!.port;
  }

  /** Queues one datagram from source i to the target; flush() sends. */
  queue(i: number, bytes: Uint8Array): void {
    const s = this.sockets[i]!;
    if (s.queued === s.sendQueueLength) s.flush();
    if (s.queue(bytes, 0, bytes.length, this.target, this.targetPort)) this.sentBytes[i]! += bytes.length;
  }

  flush(): void {
    for (const s of this.sockets) if (s.queued > 0) s.flush();
  }

  /** Reads everything pending on every source; returns the datagrams read. */
  drain(inspect?: (source: number, data: Uint8Array) => void): number {
    let total = 0;
    this.sockets.forEach((s, i) => {
      for (let n = s.receive(); n > 0; n = s.receive()) {
        total += n;
        this.receivedDatagrams[i]! += n;
        for (let k = 0; k < n; k++) {
          const len = Math.min(s.recvLengths[k]!, s.slotBytes);
          this.receivedBytes[i]! += len;
          inspect?.(i, s.recvData.subarray(k * s.slotBytes, k * s.slotBytes + len));
        }
      }
    });
    return total;
  }

  totalReceivedBytes(): number {
    return this.receivedBytes.reduce((a, b) => a + b, 0);
  }

  totalReceivedDatagrams(): number {
    return this.receivedDatagrams.reduce((a, b) => a + b, 0);
  }

  totalSentBytes(): number {
    return this.sentBytes.reduce((a, b) => a + b, 0);
  }

  close(): void {
    for (const s of this.sockets) s.close();
  }
}
