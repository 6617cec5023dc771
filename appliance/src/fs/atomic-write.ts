// Atomic file writes, for everything riffbox keeps on an SD card that can lose power at any moment:
// a temporary file in the same directory, created with its final mode, fsynced, renamed over the
// target, and the directory fsynced, so a power cut leaves the old file or the new one, never half.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** `mode` null: a file system without Unix modes (the FAT boot partition), where chmod fails. */
export function writeAtomic(path: string, content: string, mode: number | null): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // Created with the final mode, so a secret is never readable by others, not even briefly.
  const fd = openSync(tmp, 'wx', mode ?? 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  // The umask may have narrowed the mode at creation; set it exactly.
  if (mode !== null) chmodSync(tmp, mode);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
  // The rename is only durable once the directory entry is on disk.
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}
