// File operations of the root helper. Atomic writes are shared with the services (appliance/src/fs).
import { unlinkSync } from 'node:fs';

export { writeAtomic } from '../../../appliance/src/fs/atomic-write.js';

export function removeIfExists(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
