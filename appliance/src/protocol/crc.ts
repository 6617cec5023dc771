// CRC-16/GENIBUS (poly 0x1021, init 0xFFFF, MSB first, no reflection, output inverted), which is what the
// Jamulus shift-register implementation computes. Table-driven because every received datagram that looks
// like a protocol frame is checked on the server's socket path.

const TABLE = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let reg = n << 8;
  for (let bit = 0; bit < 8; bit++) {
    reg = reg & 0x8000 ? ((reg << 1) ^ 0x1021) & 0xffff : (reg << 1) & 0xffff;
  }
  TABLE[n] = reg;
}

/** CRC over buf[start, end). */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let reg = 0xffff;
  for (let i = start; i < end; i++) {
    reg = ((reg << 8) & 0xffff) ^ TABLE[((reg >>> 8) ^ buf[i]!) & 0xff]!;
  }
  return reg ^ 0xffff;
}
