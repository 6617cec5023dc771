// chmod for the recorder's files, which may be on a FAT or exFAT stick: those keep no Unix modes (the mount
// options decide them for every file) and refuse a mode they cannot store, such as setgid.
import { chmodSync } from 'node:fs';

export function setModeIfSupported(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return;
    throw e;
  }
}
