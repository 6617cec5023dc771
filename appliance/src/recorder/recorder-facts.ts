// Facts of the multitrack recorder, declared once: Jamulus's recorder states and file layout, and riffbox's own
// limits (ring size, how often headers are fixed up, the permissions of what it writes).
import { dirname, join } from 'node:path';

/** RECORDER_STATE values on the wire (Jamulus ERecorderState; §4 of the protocol reference). */
export const RecorderState = {
  NOT_INITIALISED: 1,
  NOT_ENABLED: 2,
  RECORDING: 3,
} as const;
export type RecorderStateValue = (typeof RecorderState)[keyof typeof RecorderState];

export const SAMPLE_RATE = 48000;
/** A session's folder: "Jam-" + UTC yyyyMMdd-HHmmsszzz, as Jamulus names it. */
export const SESSION_PREFIX = 'Jam-';
export const SESSION_NAME = /^Jam-\d{8}-\d{9}$/;
/** riffbox's own notes on a session (frame size, tracks, drops, how it ended); dot-named so listings skip it. */
export const SESSION_INFO_FILE = '.riffbox-session.json';
/** The stereo mixdown the admin page plays, made on request beside the tracks. */
export const MIXDOWN_FILE = 'mixdown.wav';

/** The folder of recordings beside the settings database (/var/lib/riffbox/recordings on the box). */
export const RECORDINGS_SUBDIR = 'recordings';
export function recordingsBeside(db: string): string {
  return join(dirname(db), RECORDINGS_SUBDIR);
}
/** Where the root helper mounts a USB stick, and the folder on it that takes the recordings. */
export const USB_MOUNT_POINT = '/media/riffbox-usb';
export const USB_RECORDINGS_SUBDIR = 'riffbox-recordings';
export const USB_RECORDINGS_DIR = join(USB_MOUNT_POINT, USB_RECORDINGS_SUBDIR);

/**
 * Folders and files the recorder makes: group-writable, so the admin (in the services' group) can list,
 * download, mix down and delete them, and setgid folders keep that group on everything below.
 */
export const RECORDING_DIR_MODE = 0o2770;
export const RECORDING_FILE_MODE = 0o660;

/**
 * Sizes of the ring between the engine's tick and the writer thread (server.recordingBufferMb). At 10 stereo
 * musicians and 128-sample frames the recorder needs ≈ 2 MB/s, so the default 16 MiB rides out an ≈ 8 s stall of
 * the disk (≈ 17 s for mono players) before it has to drop.
 */
export const RING_MB_CHOICES = [4, 8, 16, 32, 64] as const;
/** How often the writer takes what the tick put in the ring: the ring holds seconds, and each wake-up costs. */
export const DRAIN_INTERVAL_MS = 100;
/** WAV and session headers are rewritten with the sizes so far, and synced, this often. */
export const FIXUP_INTERVAL_MS = 2000;
/** Free space is checked this often while recording. */
export const SPACE_CHECK_INTERVAL_MS = 1000;
/** Bytes written to a track file at once. */
export const TRACK_WRITE_BYTES = 256 * 1024;

/** A WAV file's sizes are 32-bit: no track may pass this (the longest session setting keeps well below). */
export const WAV_MAX_DATA_BYTES = 0xffffffff - 36;
