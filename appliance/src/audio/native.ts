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

export interface NativeTickTimer {
  readonly running: boolean;
  readonly realtime: boolean;
  readonly ticks: number;
  start(): void;
  stop(): void;
}

export interface NativeAlsaDuplexOptions {
  device: string;
  periodFrames: number;
  format?: 's16' | 's32';
  captureChannels?: number;
  playbackChannels?: number;
  ringPeriods?: number;
}

export interface NativeAlsaStats {
  xruns: number;
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
}

export interface NativeAddon {
  OpusCustomEncoder: new (frameSamples: number, channels: number, codedBytes: number) => NativeOpusCustomEncoder;
  OpusCustomDecoder: new (frameSamples: number, channels: number) => NativeOpusCustomDecoder;
  TickTimer: new (periodNs: number, callback: (ticksDue: number) => void) => NativeTickTimer;
  AlsaDuplex: new (options: NativeAlsaDuplexOptions, onCapture?: (periods: number) => void) => NativeAlsaDuplex;
  listAlsaDevices(extraPcms?: string[]): NativeAlsaDeviceInfo[];
  opusVersion(): string;
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
