// The client's real-time half as the engine sees it: the addon's ClientStream (its UDP socket, dual-stack so the
// server may be IPv4 or IPv6, the audio device and the thread that runs the whole per-period path,
// appliance/native/src/client_period.h), opened
// with the channel count the device offers, handed the negotiated format, the server and the live settings,
// and read for the datagrams that are not the server's audio and for its counters.
import { ALSA_SAMPLE_FORMATS, native, type AlsaSampleFormat, type NativeAlsaStats, type NativeClientCounters, type NativeClientStream } from '../audio/native.js';
import { listAlsaDevices, type AlsaState, type InputSelection } from '../audio/alsa-device.js';
import { codedBytesFor, type AudioQuality } from '../audio/opus-codec.js';
import { CODEC, MAX_DATAGRAM_BYTES, propsFromFormat, type AudioFormat, type TransportProps } from '../protocol/index.js';
import type { ChannelsMode, ClientEngineOptions } from './client-options.js';

/** A plug-type PCM reports up to 32 channels; a real interface reports what it has. */
const MAX_DIRECT_CHANNELS = 8;
/**
 * Captured periods the ring between ALSA and the per-period path holds: the path runs right after each
 * pump, so this only bounds a burst after a stall (the ALSA capture buffer is 8 periods).
 */
const RING_PERIODS = 32;
/** Datagrams for the engine (protocol messages, strangers) waiting at most; more are dropped and counted. */
const CONTROL_SLOTS = 64;
const SOCKET_BUFFER_BYTES = 1 << 18;

function usableChannels(reported: number | null | undefined): number {
  if (reported === null || reported === undefined || reported <= 0 || reported > MAX_DIRECT_CHANNELS) return 2;
  return reported;
}

/** The format the reference client would declare: one codec frame per period, factor 1. */
export function clientFormat(frames: 64 | 128, channels: ChannelsMode, quality: AudioQuality, sequence: boolean): AudioFormat {
  const streamChannels = channels === 'mono' ? 1 : 2;
  return {
    codec: frames === 64 ? CODEC.OPUS64 : CODEC.OPUS,
    frameSamples: frames,
    channels: streamChannels,
    codedBytes: codedBytesFor(frames, streamChannels, quality),
    factor: 1,
    sequence,
  };
}

/** A datagram the real-time path passed on: valid until the next receive(). */
export interface ControlDatagram {
  bytes: Uint8Array;
  length: number;
  /** The sender as a peer of the socket (see peerId; −1: unknown), and port. */
  addr: number;
  port: number;
  /** When the kernel received it, on the monotonicNowNs() scale. */
  arrivalNs: number;
}

export class ClientStream {
  private readonly native: NativeClientStream;
  private readonly buffer = new Uint8Array(MAX_DATAGRAM_BYTES);
  private readonly meta = new Float64Array(4);
  private readonly datagram: ControlDatagram = { bytes: this.buffer, length: 0, addr: 0, port: 0, arrivalNs: 0 };
  private device = '';
  private sampleFormat: AlsaSampleFormat = ALSA_SAMPLE_FORMATS[0];
  captureChannels = 0;
  playbackChannels = 0;
  format!: AudioFormat;
  props!: TransportProps;

  /** `onWake` runs on this thread when datagrams wait in receive() or the session's first audio arrived. */
  constructor(onWake: () => void) {
    this.native = new native.ClientStream(
      { slotBytes: MAX_DATAGRAM_BYTES, controlSlots: CONTROL_SLOTS, recvBufferBytes: SOCKET_BUFFER_BYTES, sendBufferBytes: SOCKET_BUFFER_BYTES },
      onWake,
    );
  }

  get port(): number {
    return this.native.port;
  }

  /** 6 when the socket is dual-stack (IPv4 and IPv6 servers), 4 on a kernel without IPv6. */
  get family(): 4 | 6 {
    return this.native.family;
  }

  /**
   * The number `address` (an IP literal) is known by on this socket, for setSetup, send and the senders
   * receive() reports: IPv4 as a host-order uint32, IPv6 as a pinned peer id (appliance/src/net/README.md).
   * Throws TypeError for an IPv6 address when the socket is IPv4-only.
   */
  peerId(address: string): number {
    return this.native.peerId(address);
  }

  /** The text of a peer ('203.0.113.7', '2001:db8::7'); null for an unknown IPv6 id. */
  peerAddress(addr: number): string | null {
    return this.native.peerAddress(addr);
  }

  /**
   * Opens `name` (replacing the device before; the session goes on). Never throws for a missing device: it
   * reports 'lost' and is retried every second, and while a session needs audio a period clock stands in.
   */
  openDevice(name: string, frames: 64 | 128): void {
    // Probing a missing device says 0 channels; stereo is then assumed until it appears.
    let info;
    try {
      info = listAlsaDevices([name]).find((d) => d.pcm === name && d.card === -1);
    } catch {
      info = undefined;
    }
    this.device = name;
    this.captureChannels = usableChannels(info?.captureChannels);
    this.playbackChannels = usableChannels(info?.playbackChannels);
    const open = (format: AlsaSampleFormat): void =>
      this.native.openDevice({
        device: name,
        periodFrames: frames,
        format,
        captureChannels: this.captureChannels,
        playbackChannels: this.playbackChannels,
        ringPeriods: RING_PERIODS,
      });
    // The next format only while the device refuses the last one's sample format: a device that is missing
    // or busy says so in its own words, and is retried in the first format.
    for (const format of ALSA_SAMPLE_FORMATS) {
      open(format);
      this.sampleFormat = format;
      if (this.native.deviceState !== 'lost' || !/sample format/i.test(this.native.deviceStats()?.error ?? '')) break;
    }
  }

  get deviceName(): string {
    return this.device;
  }

  /** The sample format the device was opened in (the last one tried while it is lost). */
  get deviceFormat(): AlsaSampleFormat {
    return this.sampleFormat;
  }

  get deviceState(): AlsaState {
    return this.native.deviceState;
  }

  deviceStats(): NativeAlsaStats | null {
    return this.native.deviceStats();
  }

  /**
   * The stream format (a new encoder, jitter buffer and decoder) and the session: `server` (its `addr` from
   * peerId) null for none (nothing is sent), `session` its number (> 0), `connected` true when it already had
   * server audio (decode at once).
   */
  setSetup(o: ClientEngineOptions, sequence: boolean, server: { addr: number; port: number } | null, session: number, connected: boolean): void {
    this.format = clientFormat(o.frames, o.channels, o.quality, sequence);
    this.props = propsFromFormat(this.format);
    this.native.setSetup({ format: this.format, server, session, connected, jitterAuto: o.jitterAuto, jitterSize: o.jitterSize });
  }

  /** The settings the real-time path reads every period. */
  setParams(o: ClientEngineOptions): void {
    const input: InputSelection = o.channels === 'stereo' ? 'stereo' : o.monoInput === 2 ? 'input2' : 'input1';
    this.native.setParams({
      muted: o.muteMyself,
      hearOwn: o.hearOwnSignal,
      input,
      monoStereo: o.channels === 'mono-stereo',
      jitterAuto: o.jitterAuto,
      jitterSize: o.jitterSize,
    });
  }

  /** The next datagram that is not the server's audio, or null. */
  receive(): ControlDatagram | null {
    const n = this.native.receive(this.buffer, this.meta);
    if (n < 0) return null;
    const d = this.datagram;
    d.length = n;
    d.addr = this.meta[0]!;
    d.port = this.meta[1]!;
    d.arrivalNs = this.meta[2]!;
    return d;
  }

  send(bytes: Uint8Array, addr: number, port: number): boolean {
    return this.native.sendTo(bytes, 0, bytes.length, addr, port);
  }

  /** The session whose first server audio arrived (0: none). */
  get connectedSession(): number {
    return this.native.connectedSession;
  }

  get lastAudioNs(): number {
    return this.native.lastAudioNs;
  }

  counters(): NativeClientCounters {
    return this.native.counters();
  }

  /** Stops the thread, closes the device and the socket. */
  close(): void {
    this.native.close();
  }
}
