// A zip of files streamed straight from the disk to the response: stored (WAV does not compress), CRC-32
// computed on the way, sizes known in advance so the length is exact, ZIP64 records where a file or an offset
// passes 4 GiB. Nothing is copied to a temporary file, which an SD card has no room or time for.
import { createReadStream } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Writable } from 'node:stream';

export interface ZipEntry {
  /** Name inside the archive (folder/file). */
  name: string;
  path: string;
  size: number;
  mtime: Date;
}

const MAX32 = 0xffffffff;
const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const END64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
/** Bit 3: sizes and CRC follow the data; bit 11: UTF-8 names. */
const FLAGS = 0x0808;

function dosTime(d: Date): { time: number; date: number } {
  const y = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((y - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

interface Planned extends ZipEntry {
  nameBytes: Buffer;
  offset: number;
  zip64: boolean;
}

function localHeader(e: Planned): Buffer {
  const extra = e.zip64 ? 20 : 0;
  const h = Buffer.alloc(30 + e.nameBytes.length + extra);
  const { time, date } = dosTime(e.mtime);
  h.writeUInt32LE(LOCAL, 0);
  h.writeUInt16LE(e.zip64 ? 45 : 20, 4);
  h.writeUInt16LE(FLAGS, 6);
  h.writeUInt16LE(0, 8); // stored
  h.writeUInt16LE(time, 10);
  h.writeUInt16LE(date, 12);
  h.writeUInt32LE(0, 14); // CRC in the descriptor
  h.writeUInt32LE(e.zip64 ? MAX32 : 0, 18);
  h.writeUInt32LE(e.zip64 ? MAX32 : 0, 22);
  h.writeUInt16LE(e.nameBytes.length, 26);
  h.writeUInt16LE(extra, 28);
  e.nameBytes.copy(h, 30);
  if (e.zip64) {
    const x = 30 + e.nameBytes.length;
    h.writeUInt16LE(1, x);
    h.writeUInt16LE(16, x + 2);
    // sizes 0 here; the descriptor carries them
  }
  return h;
}

function descriptor(e: Planned, crc: number): Buffer {
  const d = Buffer.alloc(e.zip64 ? 24 : 16);
  d.writeUInt32LE(DESCRIPTOR, 0);
  d.writeUInt32LE(crc >>> 0, 4);
  if (e.zip64) {
    d.writeBigUInt64LE(BigInt(e.size), 8);
    d.writeBigUInt64LE(BigInt(e.size), 16);
  } else {
    d.writeUInt32LE(e.size, 8);
    d.writeUInt32LE(e.size, 12);
  }
  return d;
}

function centralEntry(e: Planned, crc: number): Buffer {
  const big = e.zip64 || e.offset >= MAX32;
  const extra = big ? 28 : 0;
  const c = Buffer.alloc(46 + e.nameBytes.length + extra);
  const { time, date } = dosTime(e.mtime);
  c.writeUInt32LE(CENTRAL, 0);
  c.writeUInt16LE((3 << 8) | (big ? 45 : 20), 4); // made by: Unix
  c.writeUInt16LE(big ? 45 : 20, 6);
  c.writeUInt16LE(FLAGS, 8);
  c.writeUInt16LE(0, 10);
  c.writeUInt16LE(time, 12);
  c.writeUInt16LE(date, 14);
  c.writeUInt32LE(crc >>> 0, 16);
  c.writeUInt32LE(big ? MAX32 : e.size, 20);
  c.writeUInt32LE(big ? MAX32 : e.size, 24);
  c.writeUInt16LE(e.nameBytes.length, 28);
  c.writeUInt16LE(extra, 30);
  c.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
  c.writeUInt32LE(big ? MAX32 : e.offset, 42);
  e.nameBytes.copy(c, 46);
  if (big) {
    const x = 46 + e.nameBytes.length;
    c.writeUInt16LE(1, x);
    c.writeUInt16LE(24, x + 2);
    c.writeBigUInt64LE(BigInt(e.size), x + 4);
    c.writeBigUInt64LE(BigInt(e.size), x + 12);
    c.writeBigUInt64LE(BigInt(e.offset), x + 20);
  }
  return c;
}

function endRecords(count: number, cdOffset: number, cdSize: number, force64: boolean): Buffer {
  const need64 = force64 || count > 0xffff || cdOffset >= MAX32 || cdSize >= MAX32;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(need64 ? 0xffff : count, 8);
  end.writeUInt16LE(need64 ? 0xffff : count, 10);
  end.writeUInt32LE(need64 ? MAX32 : cdSize, 12);
  end.writeUInt32LE(need64 ? MAX32 : cdOffset, 16);
  if (!need64) return end;
  const e64 = Buffer.alloc(56);
  e64.writeUInt32LE(END64, 0);
  e64.writeBigUInt64LE(44n, 4);
  e64.writeUInt16LE(45, 12);
  e64.writeUInt16LE(45, 14);
  e64.writeBigUInt64LE(BigInt(count), 24);
  e64.writeBigUInt64LE(BigInt(count), 32);
  e64.writeBigUInt64LE(BigInt(cdSize), 40);
  e64.writeBigUInt64LE(BigInt(cdOffset), 48);
  const loc = Buffer.alloc(20);
  loc.writeUInt32LE(LOCATOR64, 0);
  loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
  loc.writeUInt32LE(1, 16);
  return Buffer.concat([e64, loc, end]);
}

export interface ZipOptions {
  /** ZIP64 records for every file, as `zip -fz` writes them (otherwise only where sizes or offsets need them). */
  zip64?: boolean;
}

function plan(entries: readonly ZipEntry[], o: ZipOptions): { planned: Planned[]; dataEnd: number } {
  let offset = 0;
  const planned = entries.map((e) => {
    const p: Planned = { ...e, nameBytes: Buffer.from(e.name, 'utf8'), offset, zip64: o.zip64 === true || e.size >= MAX32 };
    offset += localHeader(p).length + e.size + (p.zip64 ? 24 : 16);
    return p;
  });
  return { planned, dataEnd: offset };
}

/** The archive's exact length, for Content-Length. */
export function zipLength(entries: readonly ZipEntry[], o: ZipOptions = {}): number {
  const { planned, dataEnd } = plan(entries, o);
  const cdSize = planned.reduce((n, p) => n + centralEntry(p, 0).length, 0);
  return dataEnd + cdSize + endRecords(planned.length, dataEnd, cdSize, o.zip64 === true).length;
}

function write(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed) return reject(new Error('the download was cancelled'));
    if (out.write(chunk)) resolve();
    else {
      const onDrain = (): void => {
        out.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        out.off('drain', onDrain);
        reject(new Error('the download was cancelled'));
      };
      out.once('drain', onDrain);
      out.once('close', onClose);
    }
  });
}

/** Streams the archive; exactly `size` bytes of each file (a file still growing is cut where it was listed). */
export async function streamZip(out: Writable, entries: readonly ZipEntry[], o: ZipOptions = {}): Promise<void> {
  const { planned, dataEnd } = plan(entries, o);
  const crcs: number[] = [];
  for (const e of planned) {
    await write(out, localHeader(e));
    let crc = 0;
    let sent = 0;
    if (e.size > 0) {
      const stream = createReadStream(e.path, { start: 0, end: e.size - 1, highWaterMark: 256 * 1024 });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
        sent += chunk.length;
        await write(out, chunk);
      }
    }
    if (sent !== e.size) throw new Error(`${e.path} shrank while it was being sent`);
    crcs.push(crc);
    await write(out, descriptor(e, crc));
  }
  const central = Buffer.concat(planned.map((e, i) => centralEntry(e, crcs[i]!)));
  await write(out, central);
  await write(out, endRecords(planned.length, dataEnd, central.length, o.zip64 === true));
}
