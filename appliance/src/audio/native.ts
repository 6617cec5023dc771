// Loads riffbox_native.node (built by scripts/build-native.mjs) and declares its shape. The
// addon is context-aware, so each worker thread that imports this gets its own instance.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface NativeOpusCustomEncoder {
  readonly frameSamples: number;
  readonly channels: number;
  readonly codedBytes: number;
  encode(pcm: Int16Array, out: Uint8Array, outOffset: number): number;
  setCodedBytes(codedBytes: number): void;
  reset(): void;
}

export interface NativeOpusCustomDecoder {
  readonly frameSamples: number;
  readonly channels: number;
  decode(packet: Uint8Array | null, offset: number, length: number, out: Int16Array): number;
  reset(): void;
}

export interface NativeJitterBuffer {
  readonly size: number;
  readonly blockBytes: number;
  readonly sequenced: boolean;
  /** Frames held (FIFO) or valid slots (sequenced). */
  readonly filled: number;
  readonly puts: number;
  readonly gets: number;
  readonly underruns: number;
  /** FIFO mode: frames discarded because the buffer was full. */
  readonly overflows: number;
  /** Sequenced mode: frames behind the read position (window moved back) or beyond it (moved forward). */
  readonly lateMoves: number;
  readonly earlyMoves: number;
  /** Frames stored but thrown away unread by a window move or a shrink. */
  readonly droppedFrames: number;
  /** Frames refused by put (wrong length or offset, no sequence number). */
  readonly rejected: number;
  reset(blockBytes: number, sequenced: boolean): boolean;
  setSize(n: number): boolean;
  put(src: Uint8Array, offset: number, length: number, seq: number): boolean;
  get(dst: Uint8Array): number;
  resetCounters(): void;
}

export interface NativeJitterAutoSize {
  readonly currentSize: number;
  readonly frameSamples: 64 | 128;
  changed: boolean;
  errorRate(blocks: number): number;
  reset(frameSamples: 64 | 128, sequenced: boolean): void;
  onPut(seq: number): void;
  onGet(): boolean;
}

export interface NativeStreamReceiver {
  /** Blocks the jitter buffer holds now. */
  readonly size: number;
  /** Where the auto-sizer stands (used as the size while auto sizing is on). */
  readonly autoCurrentSize: number;
  readonly packetBytes: number;
  put(packet: Uint8Array, length: number): boolean;
  decodeNext(out: Int16Array): number;
  setJitter(autoSize: boolean, fixedBlocks: number): void;
  close(): void;
}

interface NativeJitterConstants {
  minBlocks: number;
  maxBlocks: number;
  defaultBlocks: number;
  autoBlocks: number;
  autoMinBlocks: number;
  autoMaxBlocks: number;
  autoStartBlocks: number;
}

/** The stream format as the client's real-time path needs it (an AudioFormat). */
interface NativeStreamFormat {
  frameSamples: number;
  channels: number;
  codedBytes: number;
  factor: number;
  sequence: boolean;
}

export interface NativeClientCounters {
  packetsOut: number;
  packetsIn: number;
  /** Audio datagrams from the server whose length was not the format's. */
  wrongSize: number;
  underruns: number;
  /** Periods run on the clock that stands in for a lost device. */
  fallbackPeriods: number;
  /** Datagrams for JS dropped because its ring was full. */
  controlDropped: number;
  sendErrors: number;
  jitterSize: number;
  lastSendError: string | null;
}

export interface NativeClientStream {
  readonly port: number;
  /** 6: the socket is dual-stack on '::' (IPv4 and IPv6 servers); 4 on a kernel without IPv6. */
  readonly family: 4 | 6;
  readonly deviceState: 'running' | 'lost' | 'stopped';
  /** The session (setSetup's number) whose first server audio arrived, 0 while none has. */
  readonly connectedSession: number;
  /** monotonicNowNs() of the server's last audio datagram, 0 before any. */
  readonly lastAudioNs: number;
  openDevice(options: NativeAlsaDuplexOptions): void;
  closeDevice(): void;
  deviceStats(): NativeAlsaStats | null;
  setSetup(setup: {
    format: NativeStreamFormat;
    server: { addr: number; port: number } | null;
    session: number;
    connected: boolean;
    jitterAuto: boolean;
    jitterSize: number;
  }): void;
  setParams(params: { muted: boolean; hearOwn: boolean; input: 'input1' | 'input2' | 'stereo'; monoStereo: boolean; jitterAuto: boolean; jitterSize: number }): void;
  receive(data: Uint8Array, meta: Float64Array): number;
  sendTo(bytes: Uint8Array, offset: number, length: number, addr: number, port: number): boolean;
  /** As NativeUdpSocket.peerId: the uint32 the server is known by (an IPv6 one pinned). */
  peerId(address: string): number;
  /** As NativeUdpSocket.peerAddress. */
  peerAddress(addr: number): string | null;
  counters(): NativeClientCounters;
  close(): void;
}

/**
 * Sample formats the audio thread can open a device in, in the order a client tries them: 16-bit first (most
 * USB interfaces), then 32-bit (some take only that on hw:), then float (PCMs such as the jack plugin's own),
 * then 24-bit in three bytes (USB interfaces with 3-byte subframes offer nothing else on hw:) and in four (some
 * I2S codecs). The addon's table of the same names is kSampleFormats (sample_convert.h). JS always sees int16.
 */
export const ALSA_SAMPLE_FORMATS = ['s16', 's32', 'float', 's24_3le', 's24'] as const;
export type AlsaSampleFormat = (typeof ALSA_SAMPLE_FORMATS)[number];

interface NativeAlsaDuplexOptions {
  device: string;
  periodFrames: number;
  format?: AlsaSampleFormat;
  captureChannels?: number;
  playbackChannels?: number;
  ringPeriods?: number;
}

export interface NativeAlsaStats {
  xruns: number;
  playbackXruns: number;
  playbackPeriods: number;
  captureOverruns: number;
  playbackUnderruns: number;
  capturedPeriods: number;
  reopens: number;
  realtime: boolean;
  /** The device has no clock of its own (ALSA's null PCM): its periods are paced by the system clock. */
  paced: boolean;
  state: 'running' | 'lost' | 'stopped';
  error?: string;
}

export interface NativeAlsaDuplex {
  readonly device: string;
  readonly periodFrames: number;
  readonly captureChannels: number;
  readonly playbackChannels: number;
  readCapture(out: Int16Array): boolean;
  writePlayback(pcm: Int16Array): boolean;
  /** Blocks until a captured period waits, otherFd (-1: none) is readable, or the timeout; returns the periods waiting. */
  waitCapture(otherFd: number, timeoutMs: number): number;
  /** Captured periods waiting in the ring (a snapshot). */
  readonly capturedWaiting: number;
  /** stats().state without building the stats object. */
  readonly state: 'running' | 'lost' | 'stopped';
  stats(): NativeAlsaStats;
  close(): void;
}

export interface NativeAlsaDeviceInfo {
  card: number;
  id: string;
  /** The card's kernel driver ("USB-Audio", "Loopback", "bcm2835_alsa", …); empty for extra PCM names. */
  driver: string;
  name: string;
  pcm: string;
  captureChannels: number | null;
  playbackChannels: number | null;
}

export interface NativeUdpSocketOptions {
  /** 0 lets the OS choose; read the result from `port`. */
  port: number;
  /** IPv4 in dotted form; default '0.0.0.0'. IPv6 is not supported. */
  address?: string;
  /** SO_RCVBUF / SO_SNDBUF request (1 KiB…64 MiB); default: the kernel's. */
  recvBufferBytes?: number;
  sendBufferBytes?: number;
  /** Datagrams read per receive() (1…1024); default 64. */
  maxBatch?: number;
  /** Bytes per receive slot (16…65536); longer datagrams are truncated. Default 2048. */
  slotBytes?: number;
  /** Send slots (1…1024), each slotBytes long; default 256. */
  sendQueueLength?: number;
}

export interface NativeUdpStats {
  received: number;
  truncated: number;
  receiveErrors: number;
  sent: number;
  /** Datagrams not sent: refused by the kernel, dropped because the send buffer was full, or
   *  longer than a slot (queue(), or a sendLengths entry flush() found out of range). */
  sendErrors: number;
  /** The part of sendErrors that were EAGAIN/ENOBUFS (send buffer full). */
  sendBufferFull: number;
  queueFull: number;
  /** IPv6 datagrams dropped because every peer id was in use (a flood of spoofed sources). */
  peerTableFull: number;
  /** e.g. 'sendto: EACCES (Permission denied)'; null until an error happens. */
  lastError: string | null;
  lastErrorCode: string | null;
}

export interface NativeUdpSocket {
  readonly port: number;
  /** -1 once closed. */
  readonly fd: number;
  readonly closed: boolean;
  readonly maxBatch: number;
  readonly slotBytes: number;
  readonly sendQueueLength: number;
  /** What the kernel granted (it doubles requests for its bookkeeping). */
  readonly recvBufferBytes: number;
  readonly sendBufferBytes: number;
  /** Whether IP_TOS 128 (DSCP CS4) was accepted. */
  readonly dscp: boolean;
  /** 6 when bound to an IPv6 address ("::": dual-stack, IPv4 peers too), else 4. */
  readonly family: 4 | 6;
  readonly recvData: Uint8Array;
  readonly recvLengths: Int32Array;
  readonly recvAddrs: Uint32Array;
  readonly recvPorts: Uint16Array;
  readonly sendData: Uint8Array;
  readonly sendLengths: Int32Array;
  readonly sendAddrs: Uint32Array;
  readonly sendPorts: Uint16Array;
  /** Datagrams queue() has put in slots 0… since the last flush(). */
  readonly queued: number;
  receive(): number;
  queue(bytes: Uint8Array, offset: number, length: number, addr: number, port: number): boolean;
  flush(count?: number): number;
  sendTo(bytes: Uint8Array, offset: number, length: number, addr: number, port: number): boolean;
  waitReadable(timeoutMs: number): boolean;
  sleepUntil(deadlineNs: number, wakeOnReadable: boolean): boolean;
  stats(): NativeUdpStats;
  close(): void;
  /**
   * The uint32 a peer is known by: an IPv4 address as itself (host order), an IPv6 one as an id in
   * 1…4096 (0.0.0.0/8, which no IPv4 datagram comes from), pinned so it stays valid. Throws
   * TypeError for a text that is no address, or an IPv6 address on an IPv4 socket.
   */
  peerId(address: string): number;
  /** The text of a peer: '203.0.113.7' or '2001:db8::7'; null for an unknown IPv6 id. */
  peerAddress(addr: number): string | null;
}

interface NativeAddon {
  OpusCustomEncoder: new (frameSamples: number, channels: number, codedBytes: number) => NativeOpusCustomEncoder;
  OpusCustomDecoder: new (frameSamples: number, channels: number) => NativeOpusCustomDecoder;
  JitterBuffer: new (options: { maxBlockBytes: number; maxBlocks?: number; size?: number }) => NativeJitterBuffer;
  JitterAutoSize: new (frameSamples?: number, sequenced?: boolean) => NativeJitterAutoSize;
  StreamReceiver: new (format: NativeStreamFormat) => NativeStreamReceiver;
  jitter: NativeJitterConstants;
  ClientStream: new (
    options: { slotBytes?: number; controlSlots?: number; recvBufferBytes?: number; sendBufferBytes?: number },
    onWake: () => void,
  ) => NativeClientStream;
  mapCapture(captured: Int16Array, deviceChannels: number, frames: number, selection: 'input1' | 'input2' | 'stereo', out: Int16Array): void;
  mapPlayback(source: Int16Array, sourceChannels: number, frames: number, deviceChannels: number, out: Int16Array): void;
  AlsaDuplex: new (options: NativeAlsaDuplexOptions, onCapture?: (periods: number) => void) => NativeAlsaDuplex;
  listAlsaDevices(extraPcms?: string[]): NativeAlsaDeviceInfo[];
  opusVersion(): string;
  /** Which SIMD paths the codec was built with, e.g. "bundled opus with NEON intrinsics (aarch64)". */
  opusSimd(): string;
  /** SCHED_FIFO for the calling thread (1…99); false where not permitted. */
  setThreadRealtime(priority: number): boolean;
  /** SCHED_OTHER at nice 0…19 for the calling thread (a writer in a process started under SCHED_FIFO). */
  setThreadBackground(nice: number): boolean;
  NativeUdpSocket: new (options: NativeUdpSocketOptions) => NativeUdpSocket;
  /** CLOCK_MONOTONIC in ns since a process-wide origin (see monotonicOriginNs). */
  monotonicNowNs(): number;
  /** The origin of monotonicNowNs() on the CLOCK_MONOTONIC (process.hrtime.bigint()) scale. */
  monotonicOriginNs(): bigint;
}

// From dist/appliance/src/audio/ (compiled) up to the repository root.
const addonPath = fileURLToPath(new URL('../../../../appliance/native/build/Release/riffbox_native.node', import.meta.url));

function load(): NativeAddon {
  if (!existsSync(addonPath)) {
    throw new Error(`riffbox native addon missing at ${addonPath}: run "node scripts/build-native.mjs"`);
  }
  return createRequire(import.meta.url)(addonPath) as NativeAddon;
}

export const native: NativeAddon = load();
