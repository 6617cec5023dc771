// ALSA capture+playback through the native addon (its own real-time thread and lock-free
// rings), plus the channel mapping between the interface's channels and the Jamulus stream.
import { native, type AlsaSampleFormat, type NativeAlsaDeviceInfo, type NativeAlsaDuplex, type NativeAlsaStats } from './native.js';

interface AlsaDuplexOptions {
  /** ALSA PCM name: `hw:CARD=USB,DEV=0`, `plughw:…`, `default`, or any configured PCM. */
  device: string;
  periodFrames: 64 | 128;
  /** Sample format on the device side; JS always sees int16. Default s16. */
  format?: AlsaSampleFormat;
  /** Channels opened on the device (exactly). Default 2. */
  captureChannels?: number;
  playbackChannels?: number;
  /** Periods each ring between JS and the audio thread holds. Default 8. */
  ringPeriods?: number;
}

export type AlsaState = NativeAlsaStats['state'];

export interface AlsaStats extends NativeAlsaStats {
  /** ALSA xruns recovered with snd_pcm_recover. */
  xruns: number;
  /** Of xruns, those of the playback PCM; each adds a period of output fill, up to 8. */
  playbackXruns: number;
  /** The playback fill kept now, in periods: 2, more after playback xruns, one less per quiet minute. */
  playbackPeriods: number;
  /** Captured periods dropped because JS had not read the capture ring. */
  captureOverruns: number;
  /** Periods of silence played because JS had not written the playback ring. */
  playbackUnderruns: number;
  /** Times the device came back after being lost. */
  reopens: number;
  /** 'lost': the device is gone or failed (see error); it is retried every second. */
  state: AlsaState;
}

export interface AlsaDuplex extends NativeAlsaDuplex {
  readonly periodFrames: 64 | 128;
  /** Copies the oldest captured period (periodFrames × captureChannels, interleaved) into out. */
  readCapture(out: Int16Array): boolean;
  /** Queues one period (periodFrames × playbackChannels, interleaved); false when the ring is full. */
  writePlayback(pcm: Int16Array): boolean;
  /**
   * For an engine loop that owns its thread (instead of onCapture): blocks the thread until a
   * captured period is waiting, `otherFd` (e.g. a NativeUdpSocket's fd; -1 for none) is readable,
   * or `timeoutMs` (0…3 600 000, fractions allowed) has passed, and returns the number of periods
   * waiting (0 when woken by otherFd or the timeout). Returns at once, without a system call, when
   * a period is already waiting. While the device is lost nothing is captured: only otherFd and the
   * timeout end the wait.
   */
  waitCapture(otherFd: number, timeoutMs: number): number;
  /** Captured periods waiting to be read (a snapshot). */
  readonly capturedWaiting: number;
  /** stats().state, without building the stats object (for polling). */
  readonly state: AlsaState;
  stats(): AlsaStats;
  /** Stops the thread and closes the device. Idempotent. */
  close(): void;
}

/**
 * Opens the device at 48 kHz. Never throws for a missing or failing device: check stats(),
 * which says 'lost' with the reason while it keeps retrying. onCapture is called on this thread
 * with the number of periods captured since its previous call (coalesced), so an engine can
 * be paced by the device; while it is set the duplex keeps the event loop alive until close().
 * Each call is an event-loop wake-up through a thread-safe function; a loop that owns its thread
 * paces itself with waitCapture() instead and passes no callback.
 */
export const AlsaDuplex = native.AlsaDuplex as new (options: AlsaDuplexOptions, onCapture?: (periods: number) => void) => AlsaDuplex;

export type AlsaDeviceInfo = NativeAlsaDeviceInfo;

/**
 * The sound cards' PCM devices (`hw:CARD=id,DEV=n`) with their channel counts (null: busy or
 * unknown, 0: no such direction), followed by any extra PCM names given (card -1).
 */
export function listAlsaDevices(extraPcms?: string[]): AlsaDeviceInfo[] {
  return native.listAlsaDevices(extraPcms);
}

/** Which interface inputs feed the stream: one of the first two as mono, or both as stereo. */
export type InputSelection = 'input1' | 'input2' | 'stereo';

export function streamChannelsFor(selection: InputSelection): 1 | 2 {
  return selection === 'stereo' ? 2 : 1;
}

/**
 * Picks the selected inputs out of a captured period (deviceChannels interleaved) into out (mono or stereo
 * interleaved). A missing second input reads as the first for stereo and as silence for 'input2'. The
 * addon's mapping, the same the client's real-time path uses. Allocates nothing.
 */
export function mapCapture(captured: Int16Array, deviceChannels: number, frames: number, selection: InputSelection, out: Int16Array): void {
  native.mapCapture(captured, deviceChannels, frames, selection, out);
}

/**
 * Spreads a mono or stereo period onto the device's playback channels: mono goes to the first two, stereo
 * L/R to the first two (averaged on a mono device); further channels are silent. Allocates nothing.
 */
export function mapPlayback(source: Int16Array, sourceChannels: 1 | 2, frames: number, deviceChannels: number, out: Int16Array): void {
  native.mapPlayback(source, sourceChannels, frames, deviceChannels, out);
}
