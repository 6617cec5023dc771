// The Jamulus CRC (jamulus-protocol.md §1.3), written apart from the app's so the boot test's
// probes do not trust the code they test.
export function crc16(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const fb = ((reg >> 15) & 1) ^ ((byte >> bit) & 1);
      reg = (reg << 1) & 0xffff;
      if (fb) reg ^= 0x1021;
    }
  }
  return reg ^ 0xffff;
}
