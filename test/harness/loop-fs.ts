// A real, small file system for disk tests (needs root): a sparse image file, formatted and loop-mounted under
// the group's folder. It can be frozen (fsfreeze: every write to it blocks, in the kernel, until it is thawed —
// a stalled disk) and filled to a chosen free space. Cleanup thaws, unmounts and frees the loop device, even if
// the test process dies while the file system is frozen.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync } from 'node:fs';
import type { ProcessGroup } from './processes.js';

export interface LoopFs {
  /** The mount point. */
  dir: string;
  /** Blocks every write until thaw(). */
  freeze(): void;
  thaw(): void;
  /** Adds a file so that about `bytes` stay free. */
  leaveFree(bytes: number): void;
  freeBytes(): number;
  /** Thaws and unmounts (also done at cleanup). */
  remove(): void;
}

const frozen = new Set<string>();
let exitHookInstalled = false;

function thawAll(): void {
  for (const dir of frozen) {
    try {
      execFileSync('fsfreeze', ['--unfreeze', dir], { stdio: 'ignore' });
    } catch {
      // already thawed
    }
  }
  frozen.clear();
}

export function loopFsAllowed(): boolean {
  return process.getuid?.() === 0;
}

export function mountLoopFs(group: ProcessGroup, opts: { name: string; sizeMb: number; type?: 'ext4' | 'vfat' }): LoopFs {
  const image = group.path(`${opts.name}.img`);
  const dir = group.path(opts.name);
  mkdirSync(dir, { recursive: true });
  execFileSync('truncate', ['-s', `${opts.sizeMb}M`, image]);
  if ((opts.type ?? 'ext4') === 'ext4') execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
  else execFileSync('mkfs.vfat', [image], { stdio: 'ignore' });
  execFileSync('mount', ['-o', 'loop', image, dir]);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A frozen file system left behind would hang every process that writes to it, this one's exit included.
    process.on('exit', thawAll);
  }
  let mounted = true;
  const fs: LoopFs = {
    dir,
    freeze() {
      execFileSync('fsfreeze', ['--freeze', dir]);
      frozen.add(dir);
    },
    thaw() {
      if (!frozen.has(dir)) return;
      execFileSync('fsfreeze', ['--unfreeze', dir]);
      frozen.delete(dir);
    },
    leaveFree(bytes: number) {
      const free = fs.freeBytes();
      if (free > bytes) execFileSync('fallocate', ['-l', String(free - bytes), `${dir}/filler-${Date.now()}`]);
    },
    freeBytes() {
      const st = statfsSync(dir);
      return st.bavail * st.bsize;
    },
    remove() {
      fs.thaw();
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', ['-l', dir]);
      } catch {
        // not mounted
      }
    },
  };
  group.onCleanup(() => fs.remove());
  return fs;
}
