// Where recordings are, as the Recordings page sees it: the folder on the SD card (beside the settings database),
// the one on a mounted USB stick, and whatever folder the server records to now if it is neither (a folder given
// on its command line). What the server says about its recorder, or null when it is not running.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AdminDeps } from './deps.js';
import { USB_MOUNT_POINT, USB_RECORDINGS_DIR, recordingsBeside } from '../../appliance/src/recorder/recorder-facts.js';

export type StorageKey = 'sd' | 'usb' | 'here';

export interface RecorderDetails {
  state: 1 | 2 | 3;
  initialised: boolean;
  enabled: boolean;
  errorMessage: string;
  recordingDirectory: string;
  directory: string;
  session: { path: string; name: string; seconds: number; bytes: number; droppedTicks: number; who: { name: string; channels: number }[] } | null;
  lastSession: { path: string; reason: string; seconds: number; error: string | null; at: string } | null;
  lastStop: { reason: 'reserve' | 'max-length' | 'error'; message: string; at: string } | null;
  droppedTicks: number;
  droppedSeconds: number;
  ringBytes: number;
  ringWaitingBytes: number;
  writerBusySeconds: number;
  freeBytes: number | null;
  reserveBytes: number;
  maxSeconds: number;
}

export function usbMountPoint(d: AdminDeps): string {
  return d.helper.mode.kind === 'checkout' ? join(d.helper.mode.root, USB_MOUNT_POINT) : USB_MOUNT_POINT;
}

export function usbRecordingsDir(d: AdminDeps): string {
  return d.helper.mode.kind === 'checkout' ? join(d.helper.mode.root, USB_RECORDINGS_DIR) : USB_RECORDINGS_DIR;
}

export function sdRecordingsDir(d: AdminDeps): string {
  return resolve(recordingsBeside(d.store.path));
}

export async function recorderDetails(d: AdminDeps): Promise<RecorderDetails | null> {
  try {
    return await d.server.call<RecorderDetails>('riffbox/getRecorderDetails');
  } catch {
    return null;
  }
}

/** The folders to list, by key; `here` only when the server records somewhere else. */
export function storages(d: AdminDeps, details: RecorderDetails | null): Map<StorageKey, string> {
  const m = new Map<StorageKey, string>([['sd', sdRecordingsDir(d)]]);
  const usb = usbRecordingsDir(d);
  if (existsSync(usb)) m.set('usb', usb);
  const live = details?.directory ? resolve(details.directory) : '';
  if (live && ![...m.values()].includes(live)) m.set('here', live);
  return m;
}

/** Which destination the stored setting names. */
export function destinationOf(d: AdminDeps): StorageKey {
  const dir = d.store.getFlat()['server.recordingDir'];
  if (dir === '' || resolve(dir) === sdRecordingsDir(d)) return 'sd';
  if (resolve(dir) === usbRecordingsDir(d)) return 'usb';
  return 'here';
}
