// The hairpin probe: a CLM_PING_MS from the box to its own public address and port. An answer means
// the router forwarded the port to the server, the same path a friend's first packet takes (proof).
// No answer proves nothing: many routers do not loop their own address back to the LAN.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { decodeMessage, encodeMessage, parseFrame, MESSAGE_IDS } from '../protocol/index.js';

export interface ProbeResult {
  ok: boolean;
  address: string;
  port: number;
  at: string;
  rttMs: number | null;
}

const SENDS = 3;
const INTERVAL_MS = 250;

export function hairpinProbe(address: string, port: number, timeoutMs = 1500): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    const started = Date.now();
    const stamp = (started % 0x7fffffff) >>> 0;
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve({ ok, address, port, at: new Date().toISOString(), rttMs: ok ? Date.now() - started : null });
    };
    socket.on('error', () => finish(false));
    socket.on('message', (msg) => {
      const f = parseFrame(msg);
      if (!f.ok || f.id !== MESSAGE_IDS.CLM_PING_MS) return;
      try {
        const m = decodeMessage(f.id, f.payload);
        if (m.name === 'CLM_PING_MS' && m.value.timeMs === stamp) finish(true);
      } catch {
        // not our answer
      }
    });
    const ping = Buffer.from(encodeMessage('CLM_PING_MS', { timeMs: stamp }, 0));
    socket.bind(0, () => {
      for (let i = 0; i < SENDS; i++) timers.push(setTimeout(() => socket.send(ping, port, address, () => undefined), i * INTERVAL_MS));
      timers.push(setTimeout(() => finish(false), timeoutMs));
    });
  });
}
