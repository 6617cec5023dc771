// WAV files as jack_rec (libsndfile) and sox write them: RIFF chunks, PCM integer 8/16/24/32 bit,
// IEEE float 32/64 bit, plain or WAVE_FORMAT_EXTENSIBLE. A file cut short (jack_rec killed before
// it fixed the header) is read up to its last whole frame.
import { readFileSync, writeFileSync } from 'node:fs';

export interface Wav {
  sampleRate: number;
  bitsPerSample: number;
  format: 'int' | 'float';
  /** One array per channel, samples scaled to −1…1. */
  channels: Float32Array[];
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export function parseWav(buf: Buffer): Wav {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | null = null;
  let data: Buffer | null = null;
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const declared = buf.readUInt32LE(pos + 4);
    const start = pos + 8;
    const size = Math.min(declared, buf.length - start);
    if (id === 'fmt ') {
      if (size < 16) throw new Error('WAV fmt chunk too short');
      let tag = buf.readUInt16LE(start);
      // Extensible: the real format is the first two bytes of the sub-format GUID.
      if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 26) tag = buf.readUInt16LE(start + 24);
      fmt = {
        tag,
        channels: buf.readUInt16LE(start + 2),
        rate: buf.readUInt32LE(start + 4),
        blockAlign: buf.readUInt16LE(start + 12),
        bits: buf.readUInt16LE(start + 14),
      };
    } else if (id === 'data') {
      // 0 and 0xFFFFFFFF are what an unfinished header says: take the rest of the file.
      data = declared === 0 || declared === 0xffffffff ? buf.subarray(start) : buf.subarray(start, start + size);
      break;
    }
    pos = start + declared + (declared & 1);
  }
  if (!fmt) throw new Error('WAV has no fmt chunk');
  if (!data) throw new Error('WAV has no data chunk');
  const { tag, channels: nch, rate, bits } = fmt;
  const bytes = bits / 8;
  if (nch < 1 || !Number.isInteger(bytes) || fmt.blockAlign !== nch * bytes) throw new Error(`unsupported WAV layout: ${nch} ch, ${bits} bit, block ${fmt.blockAlign}`);
  let read: (off: number) => number;
  if (tag === WAVE_FORMAT_PCM) {
    if (bits === 8) read = (o) => (data!.readUInt8(o) - 128) / 128;
    else if (bits === 16) read = (o) => data!.readInt16LE(o) / 32768;
    else if (bits === 24) read = (o) => data!.readIntLE(o, 3) / 8388608;
    else if (bits === 32) read = (o) => data!.readInt32LE(o) / 2147483648;
    else throw new Error(`unsupported PCM bit depth ${bits}`);
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits === 32) read = (o) => data!.readFloatLE(o);
    else if (bits === 64) read = (o) => data!.readDoubleLE(o);
    else throw new Error(`unsupported float bit depth ${bits}`);
  } else {
    throw new Error(`unsupported WAV format tag ${tag}`);
  }
  const frames = Math.floor(data.length / fmt.blockAlign);
  const channels = Array.from({ length: nch }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    const base = f * fmt.blockAlign;
    for (let c = 0; c < nch; c++) channels[c]![f] = read(base + c * bytes);
  }
  return { sampleRate: rate, bitsPerSample: bits, format: tag === WAVE_FORMAT_PCM ? 'int' : 'float', channels };
}

export function readWav(path: string): Wav {
  try {
    return parseWav(readFileSync(path));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Writes 16-bit PCM or 32-bit float WAV (for fixtures and for looking at a failed run's audio). */
export function encodeWav(channels: readonly Float32Array[], sampleRate: number, format: 'int16' | 'float32' = 'int16'): Buffer {
  const nch = channels.length;
  const frames = channels[0]?.length ?? 0;
  const bytes = format === 'int16' ? 2 : 4;
  const dataLen = frames * nch * bytes;
  const buf = Buffer.alloc(44 + dataLen);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataLen, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(format === 'int16' ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT, 20);
  buf.writeUInt16LE(nch, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * nch * bytes, 28);
  buf.writeUInt16LE(nch * bytes, 32);
  buf.writeUInt16LE(bytes * 8, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataLen, 40);
  let o = 44;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < nch; c++) {
      const v = channels[c]![f]!;
      if (format === 'int16') buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), o);
      else buf.writeFloatLE(v, o);
      o += bytes;
    }
  }
  return buf;
}

export function writeWav(path: string, channels: readonly Float32Array[], sampleRate: number, format: 'int16' | 'float32' = 'int16'): void {
  writeFileSync(path, encodeWav(channels, sampleRate, format));
}
