// Kernel timestamps of UDP datagrams on loopback, for packet intervals of programs that do not report their
// own (Debian's Jamulus client): tcpdump writes a capture with a BPF filter, so a flood on other ports costs
// it nothing, and readUdpCapture parses the file. Needs root (or CAP_NET_RAW) like tcpdump itself.
import { readFileSync } from 'node:fs';
import type { ProcessGroup } from './processes.js';

export interface UdpRecord {
  /** Capture time, ms (the kernel's timestamp, microsecond resolution). */
  atMs: number;
  srcPort: number;
  dstPort: number;
  /** UDP payload bytes. */
  length: number;
}

export interface Capture {
  /** Stops tcpdump (its buffered records are written on exit) and returns every UDP record. */
  stop(): Promise<UdpRecord[]>;
}

/** tcpdump on `lo` with `filter` (BPF syntax, e.g. "udp and src port 22124"), until stop(). */
export async function captureLoopback(group: ProcessGroup, filter: string, name = 'capture'): Promise<Capture> {
  const file = group.path(`${name}-${Date.now()}.pcap`);
  // --immediate-mode and -U: each packet is read and written as it comes (by default the kernel hands packets
  // over in blocks every ≈200 ms, and a stopped tcpdump drops the block it has not read); -s: headers only.
  // -Z root: tcpdump would otherwise switch to its own user, which cannot write into the group's private directory.
  const p = group.spawn(name, 'tcpdump', ['-i', 'lo', '-n', '--immediate-mode', '-U', '-Z', 'root', '-s', '96', '-w', file, filter]);
  await p.waitForLine(/listening on lo/, 10_000, 'stderr');
  return {
    async stop(): Promise<UdpRecord[]> {
      // What is in flight reaches tcpdump within a scheduling delay or two.
      await new Promise((r) => setTimeout(r, 100));
      await p.stop();
      return readUdpCapture(file);
    },
  };
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_RAW = 101;

/** UDP over IPv4 records of a classic pcap file (microsecond or nanosecond timestamps, either byte order). */
export function readUdpCapture(path: string): UdpRecord[] {
  const b = readFileSync(path);
  if (b.length < 24) return [];
  const magicLe = b.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    le = true;
    nano = magicLe === 0xa1b23c4d;
  } else {
    const magicBe = b.readUInt32BE(0);
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) throw new Error(`${path}: not a pcap file`);
    le = false;
    nano = magicBe === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const link = u32(20);
  const l2 = link === LINKTYPE_ETHERNET ? 14 : link === LINKTYPE_LINUX_SLL ? 16 : link === LINKTYPE_RAW ? 0 : -1;
  if (l2 < 0) throw new Error(`${path}: link type ${link} not handled`);
  const out: UdpRecord[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const at = o + 16;
    o = at + incl;
    if (o > b.length) break;
    const ip = at + l2;
    if (incl < l2 + 28 || b[ip]! >> 4 !== 4 || b[ip + 9] !== 17) continue;
    const udp = ip + (b[ip]! & 15) * 4;
    if (udp + 8 > at + incl) continue;
    out.push({
      atMs: sec * 1000 + (nano ? frac / 1e6 : frac / 1e3),
      srcPort: b.readUInt16BE(udp),
      dstPort: b.readUInt16BE(udp + 2),
      length: b.readUInt16BE(udp + 4) - 8,
    });
  }
  return out;
}

/** p50 / p99 / max of the intervals between consecutive records (ms); NaN when there are fewer than two. */
export function intervalPercentiles(records: readonly UdpRecord[]): { count: number; p50: number; p99: number; max: number } {
  const iv: number[] = [];
  for (let i = 1; i < records.length; i++) iv.push(records[i]!.atMs - records[i - 1]!.atMs);
  iv.sort((a, b) => a - b);
  const pick = (q: number): number => (iv.length ? iv[Math.min(iv.length - 1, Math.floor(q * iv.length))]! : NaN);
  return { count: iv.length, p50: pick(0.5), p99: pick(0.99), max: iv.length ? iv[iv.length - 1]! : NaN };
}
