// Reads a built riffbox image without mounting it: the partition table with sfdisk, the ext4
// rootfs with debugfs (through e2fsprogs' "file?offset=N" I/O option) and the FAT bootfs with
// mtools. Enough to assert what is inside an image on a machine without loop devices.
import { execFileSync } from 'node:child_process';

export interface Partition {
  start: number; // bytes
  size: number; // bytes
  type: string;
}

export interface EntryStat {
  type: 'regular' | 'directory' | 'symlink' | 'other';
  mode: number; // permission bits, e.g. 0o755
  uid: number;
  gid: number;
  linkTarget?: string;
}

export class ImageReader {
  readonly partitions: Partition[];
  private readonly rootSpec: string;
  private readonly bootSpec: string;

  constructor(readonly path: string) {
    const table = JSON.parse(execFileSync('sfdisk', ['--json', path], { encoding: 'utf8' })) as {
      partitiontable: { sectorsize?: number; partitions: { start: number; size: number; type: string }[] };
    };
    const sector = table.partitiontable.sectorsize ?? 512;
    this.partitions = table.partitiontable.partitions.map((p) => ({ start: p.start * sector, size: p.size * sector, type: p.type }));
    if (this.partitions.length !== 2) throw new Error(`${path}: expected bootfs + rootfs, found ${this.partitions.length} partitions`);
    this.bootSpec = `${path}@@${this.partitions[0]!.start}`;
    this.rootSpec = `${path}?offset=${this.partitions[1]!.start}`;
  }

  private debugfs(request: string): Buffer {
    return execFileSync('debugfs', ['-R', request, this.rootSpec], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  }

  /** File contents from the root file system; throws when the path does not exist. */
  read(path: string): Buffer {
    this.stat(path);
    return this.debugfs(`cat "${path}"`);
  }

  readText(path: string): string {
    return this.read(path).toString('utf8');
  }

  /** Metadata of one path, or undefined when it does not exist. */
  stat(path: string): EntryStat | undefined {
    const out = execFileSync('debugfs', ['-R', `stat "${path}"`, this.rootSpec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const head = out.match(/Type: (\w+)\s+Mode:\s+(\d+)/);
    if (!head) return undefined;
    const kind = head[1]!;
    const type = kind === 'regular' ? 'regular' : kind === 'directory' ? 'directory' : kind === 'symlink' ? 'symlink' : 'other';
    const ids = out.match(/User:\s+(\d+)\s+Group:\s+(\d+)/);
    const link = out.match(/Fast link dest: "(.*)"/);
    const stat: EntryStat = { type, mode: parseInt(head[2]!, 8), uid: Number(ids?.[1] ?? -1), gid: Number(ids?.[2] ?? -1) };
    if (link) stat.linkTarget = link[1]!;
    else if (type === 'symlink') stat.linkTarget = this.debugfs(`cat "${path}"`).toString('utf8');
    return stat;
  }

  /** Names in a root file system directory (without . and ..). */
  list(dir: string): string[] {
    const out = this.debugfs(`ls -p "${dir}"`).toString('utf8');
    // -p prints /inode/mode/uid/gid/name/size/ per entry.
    return out.split('\n').map((l) => l.split('/')[5] ?? '').filter((n) => n && n !== '.' && n !== '..');
  }

  /** Names in the root directory of the FAT bootfs. */
  bootList(): string[] {
    const out = execFileSync('mdir', ['-b', '-i', this.bootSpec, '::/'], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    return out.split('\n').map((l) => l.trim().replace(/^::\//, '')).filter(Boolean);
  }

  bootRead(name: string): string {
    return execFileSync('mtype', ['-i', this.bootSpec, `::/${name}`], { encoding: 'utf8', env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  }
}

/** True when the bytes start an ELF64 little-endian shared object or executable for aarch64. */
export function isAarch64Elf(bytes: Buffer): boolean {
  return bytes.length >= 20 && bytes.readUInt32BE(0) === 0x7f454c46 && bytes[4] === 2 && bytes[5] === 1 && bytes.readUInt16LE(18) === 183;
}
