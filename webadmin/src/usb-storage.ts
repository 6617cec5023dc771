// USB sticks the box can record on, from lsblk: partitions (or whole sticks) with a file system it mounts, on a
// disk attached over USB that the system itself does not run from (a Pi can boot from USB). The admin page lists
// them as they come and go; the root helper's usb-mount verb mounts the first one. From a checkout,
// RIFFBOX_USB_DEVICE names a block device (a loop device in tests) to stand in for the stick.
import { execFile } from 'node:child_process';

export const USB_FSTYPES: Readonly<Record<string, string>> = { vfat: 'vfat', exfat: 'exfat', ext4: 'ext4', ntfs: 'ntfs3' };

export interface UsbVolume {
  device: string;
  fstype: string;
  label: string;
  sizeBytes: number;
  mountpoint: string | null;
  model: string;
}

interface Node {
  path?: string;
  type?: string;
  tran?: string | null;
  fstype?: string | null;
  label?: string | null;
  size?: number | string | null;
  mountpoint?: string | null;
  model?: string | null;
  children?: Node[];
}

export const LSBLK_ARGS = ['-J', '-b', '-o', 'NAME,PATH,TYPE,TRAN,FSTYPE,LABEL,SIZE,MOUNTPOINT,MODEL'];

function descendants(n: Node): Node[] {
  return [n, ...(n.children ?? []).flatMap(descendants)];
}

function volume(n: Node, model: string): UsbVolume {
  return {
    device: n.path ?? '',
    fstype: n.fstype ?? '',
    label: n.label ?? '',
    sizeBytes: Number(n.size ?? 0),
    mountpoint: n.mountpoint ?? null,
    model: model.trim(),
  };
}

/** Recordable volumes in lsblk's JSON, largest first. `anyDisk`: take every disk as a stick (the checkout stand-in). */
export function usbVolumes(lsblk: unknown, anyDisk = false): UsbVolume[] {
  const devices = ((lsblk as { blockdevices?: Node[] } | null)?.blockdevices ?? []) as Node[];
  const out: UsbVolume[] = [];
  for (const disk of devices) {
    if (!anyDisk && (disk.type !== 'disk' || disk.tran !== 'usb')) continue;
    const all = descendants(disk);
    if (all.some((n) => n.mountpoint === '/' || (n.mountpoint ?? '').startsWith('/boot'))) continue;
    for (const n of all) {
      if (n.fstype && n.fstype in USB_FSTYPES && n.path) out.push(volume(n, disk.model ?? ''));
    }
  }
  return out.sort((a, b) => b.sizeBytes - a.sizeBytes);
}

function run(cmd: string, args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: 5000 }, (err, stdout) => resolve(err ? null : String(stdout)));
  });
}

async function lsblk(args: readonly string[]): Promise<unknown> {
  const out = await run('lsblk', [...LSBLK_ARGS, ...args]);
  try {
    return out === null ? null : JSON.parse(out);
  } catch {
    return null;
  }
}

/**
 * lsblk takes file systems and labels from udev's database; where udev has not probed a device (no udev, as in a
 * container) blkid reads them from the device itself, if this process may.
 */
async function probeMissing(tree: unknown): Promise<void> {
  const nodes = ((tree as { blockdevices?: Node[] } | null)?.blockdevices ?? []).flatMap(descendants);
  for (const n of nodes) {
    if (n.fstype || !n.path) continue;
    const out = await run('blkid', ['-o', 'export', n.path]);
    if (!out) continue;
    const kv = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    n.fstype = kv.TYPE ?? null;
    n.label = kv.LABEL ?? n.label ?? null;
  }
}

/** The sticks plugged in now. `standIn`: the checkout's RIFFBOX_USB_DEVICE. */
export async function listUsbVolumes(standIn: string | undefined): Promise<UsbVolume[]> {
  const tree = await lsblk(standIn ? [standIn] : []);
  if (standIn) {
    await probeMissing(tree);
    return usbVolumes(tree, true);
  }
  const usb = { blockdevices: ((tree as { blockdevices?: Node[] } | null)?.blockdevices ?? []).filter((n) => n.tran === 'usb') };
  await probeMissing(usb);
  return usbVolumes(usb);
}
