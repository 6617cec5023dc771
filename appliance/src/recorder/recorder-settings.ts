// What the recorder takes from the settings: the folder (an empty setting means the recordings folder beside the
// settings database, and no recorder without a database, as Jamulus has none without -R), and its limits.
import type { FlatSettings, SettingKey } from '../settings/schema.js';
import { recordingsBeside } from './recorder-facts.js';
import type { RecorderLimits } from './recorder.js';

export const RECORDER_KEYS: readonly SettingKey[] = [
  'server.recordingDir', 'server.recordingEnabled', 'server.recordingBits', 'server.recordingReserveMb', 'server.recordingMaxMinutes',
  'server.recordingBufferMb',
];

export function ringBytesOf(s: FlatSettings): number {
  return s['server.recordingBufferMb'] * 1024 * 1024;
}

export function recordingDirOf(s: FlatSettings, db: string | undefined): string {
  if (s['server.recordingDir'] !== '') return s['server.recordingDir'];
  return db ? recordingsBeside(db) : '';
}

export function recorderLimitsOf(s: FlatSettings): RecorderLimits {
  return {
    bits: s['server.recordingBits'],
    reserveBytes: s['server.recordingReserveMb'] * 1024 * 1024,
    maxSeconds: s['server.recordingMaxMinutes'] * 60,
  };
}
