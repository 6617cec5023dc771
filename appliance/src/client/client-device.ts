// The USB interface as the client uses it: an AlsaDuplex opened with the channel count the device
// offers, the period buffers, and the mapping between device channels and the Jamulus stream.
import { AlsaDuplex, listAlsaDevices, mapCapture, mapPlayback, type AlsaState, type AlsaStats, type InputSelection } from '../audio/alsa-device.js';

/** A plug-type PCM reports up to 32 channels; a real interface reports what it has. */
const MAX_DIRECT_CHANNELS = 8;

function usableChannels(reported: number | null | undefined): number {
  if (reported === null || reported === undefined || reported <= 0 || reported > MAX_DIRECT_CHANNELS) return 2;
  return reported;
}

/**
 * Capture periods the ring holds for a JS thread that is late: 32 bridge 43 ms (64) or 85 ms (128) of
 * stall without losing input. Playback does not get longer for it (one period out per period in).
 */
const RING_PERIODS = 32;

export class ClientDevice {
  readonly name: string;
  readonly frames: 64 | 128;
  readonly captureChannels: number;
  readonly playbackChannels: number;
  readonly capture: Int16Array;
  readonly playback: Int16Array;
  private duplex: AlsaDuplex;

  /**
   * Never throws for a missing device: the duplex reports 'lost' and retries every second by itself.
   * No capture callback: the engine loop blocks in wait() instead, so a period costs no event-loop wake-up.
   */
  constructor(name: string, frames: 64 | 128) {
    this.name = name;
    this.frames = frames;
    // Probing a missing device says 0 channels; stereo is then assumed until it appears.
    let info;
    try {
      info = listAlsaDevices([name]).find((d) => d.pcm === name && d.card === -1);
    } catch {
      info = undefined;
    }
    this.captureChannels = usableChannels(info?.captureChannels);
    this.playbackChannels = usableChannels(info?.playbackChannels);
    const open = (format: 's16' | 's32'): AlsaDuplex =>
      new AlsaDuplex({
        device: name,
        periodFrames: frames,
        format,
        captureChannels: this.captureChannels,
        playbackChannels: this.playbackChannels,
        ringPeriods: RING_PERIODS,
      });
    this.duplex = open('s16');
    const s = this.duplex.stats();
    // Some USB interfaces take only 32-bit samples on hw: devices.
    if (s.state === 'lost' && /format/i.test(s.error ?? '')) {
      this.duplex.close();
      this.duplex = open('s32');
    }
    this.capture = new Int16Array(frames * this.captureChannels);
    this.playback = new Int16Array(frames * this.playbackChannels);
  }

  /**
   * Blocks the thread until a captured period is waiting, `otherFd` (-1: none) is readable or
   * `timeoutMs` passed; returns the periods waiting.
   */
  wait(otherFd: number, timeoutMs: number): number {
    return this.duplex.waitCapture(otherFd, timeoutMs);
  }

  /** Takes the oldest captured period into `capture`; false when none is waiting. */
  read(): boolean {
    return this.duplex.readCapture(this.capture);
  }

  /** Picks the stream's input channels out of `capture`. */
  mapInput(selection: InputSelection, out: Int16Array): void {
    mapCapture(this.capture, this.captureChannels, this.frames, selection, out);
  }

  /** Spreads a stream period onto the device channels and queues it. */
  play(source: Int16Array, sourceChannels: 1 | 2): void {
    mapPlayback(source, sourceChannels, this.frames, this.playbackChannels, this.playback);
    this.duplex.writePlayback(this.playback);
  }

  get state(): AlsaState {
    return this.duplex.state;
  }

  stats(): AlsaStats {
    return this.duplex.stats();
  }

  close(): void {
    this.duplex.close();
  }
}
