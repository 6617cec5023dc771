// A restarted PCP or NAT-PMP router says so: it multicasts an unsolicited ANNOUNCE (RFC 6887 §14.1.3)
// or its external address (RFC 6886 §3.2.1) to 224.0.0.1:5350. Listening there lets the box map again
// at once instead of at its next check. Only datagrams from the router the mapping was made with count.
import dgram from 'node:dgram';

export const ANNOUNCE_PORT = 5350;

export class AnnounceListener {
  private socket: dgram.Socket | null = null;

  constructor(private readonly onAnnounce: (from: string) => void, private readonly log: (line: string) => void) {}

  start(): void {
    if (this.socket) return;
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    this.socket = s;
    s.on('message', (msg, rinfo) => {
      // Version 0 (NAT-PMP) or 2 (PCP), and an answer (bit 7 of the opcode): nothing else is an announcement.
      if (msg.length >= 8 && (msg[0] === 0 || msg[0] === 2) && (msg[1]! & 0x80) !== 0) this.onAnnounce(rinfo.address);
    });
    s.on('error', (e) => {
      // Another program holds the port: the periodic check still notices a restart, later.
      this.log(`port mapping: not listening for router announcements (${e.message})`);
      this.stop();
    });
    s.bind(ANNOUNCE_PORT);
  }

  stop(): void {
    const s = this.socket;
    this.socket = null;
    try {
      s?.close();
    } catch {
      // already closed
    }
  }
}
