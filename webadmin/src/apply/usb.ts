// Verbs usb-mount and usb-unmount: the USB stick the recordings may go to, at one fixed mount point. On the box
// the mount is made by systemd (systemd-mount), in the system's namespace, so the server (whose unit may write
// there) sees it too; files on a FAT or exFAT stick belong to the services' user and group. From a checkout
// (tests, as root) the stand-in device is mounted under the checkout root with mount(8).
import { chmodSync, chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplyContext } from './context.js';
import { run } from './run.js';
import { listUsbVolumes, USB_FSTYPES } from '../usb-storage.js';
import { RECORDING_DIR_MODE, USB_MOUNT_POINT, USB_RECORDINGS_SUBDIR } from '../../../appliance/src/recorder/recorder-facts.js';

/** The services' user, which owns the recordings. */
const SERVICE_USER = 'riffbox';

function idOf(file: string, name: string): number | null {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  return null;
}

function owner(ctx: ApplyContext): { uid: number; gid: number } {
  if (ctx.checkout) return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const uid = idOf('/etc/passwd', SERVICE_USER);
  const gid = idOf('/etc/group', SERVICE_USER);
  if (uid === null || gid === null) throw new Error(`no ${SERVICE_USER} user or group on this system`);
  return { uid, gid };
}

export function mountOptions(fstype: string, ids: { uid: number; gid: number }): string {
  const base = 'noatime,nodev,nosuid,noexec';
  // FAT, exFAT and NTFS keep no owners: the mount gives every file to the services, group-writable for the admin.
  if (fstype === 'ext4') return base;
  return `${base},uid=${ids.uid},gid=${ids.gid},fmask=0117,dmask=0007${fstype === 'vfat' ? ',utf8,shortname=mixed' : ''}`;
}

function standIn(ctx: ApplyContext): string | undefined {
  return ctx.checkout ? process.env.RIFFBOX_USB_DEVICE : undefined;
}

export async function usbMount(ctx: ApplyContext): Promise<number> {
  const mountPoint = ctx.path(USB_MOUNT_POINT);
  const volumes = await listUsbVolumes(standIn(ctx));
  const v = volumes[0];
  if (!v) {
    console.error('no USB stick with a FAT, exFAT, ext4 or NTFS file system is plugged in');
    return 1;
  }
  const ids = owner(ctx);
  if (v.mountpoint && v.mountpoint !== mountPoint) {
    console.error(`${v.device} is already mounted at ${v.mountpoint}`);
    return 1;
  }
  if (!v.mountpoint) {
    mkdirSync(mountPoint, { recursive: true });
    const type = USB_FSTYPES[v.fstype]!;
    const options = mountOptions(v.fstype, ids);
    const r = ctx.system
      ? await run('systemd-mount', ['--no-ask-password', '--collect', '--fsck=no', `--type=${type}`, `--options=${options}`, v.device, mountPoint], 60000)
      : await run('mount', ['-t', type, '-o', options, v.device, mountPoint], 60000);
    if (r.code !== 0) {
      console.error(`mounting ${v.device} failed: ${(r.stderr || r.stdout).trim()}`);
      return 1;
    }
  }
  const dir = join(mountPoint, USB_RECORDINGS_SUBDIR);
  try {
    mkdirSync(dir, { recursive: true });
    if (v.fstype === 'ext4') {
      chownSync(dir, ids.uid, ids.gid);
      chmodSync(dir, RECORDING_DIR_MODE);
    }
  } catch (e) {
    console.error(`the stick is mounted but ${dir} cannot be made: ${(e as Error).message}`);
    return 1;
  }
  console.log(`mounted ${v.device} (${v.fstype}${v.label ? `, ${v.label}` : ''}) at ${mountPoint}`);
  return 0;
}

export async function usbUnmount(ctx: ApplyContext): Promise<number> {
  const mountPoint = ctx.path(USB_MOUNT_POINT);
  const r = ctx.system ? await run('systemd-umount', ['--no-ask-password', mountPoint], 60000) : await run('umount', [mountPoint], 60000);
  if (r.code !== 0) {
    const text = (r.stderr || r.stdout).trim();
    if (/not mounted|no mount point/i.test(text)) {
      console.log('no USB stick was mounted');
      return 0;
    }
    console.error(`unmounting the USB stick failed: ${text}`);
    return 1;
  }
  console.log('the USB stick can be unplugged');
  return 0;
}
