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
  stats(): NativeAlsaStats;
  close(): void;
}

export interface NativeAlsaDeviceInfo {
  card: number;
  id: string;
  name: string;
  pcm: string;
  captureChannels: number | null;
  playbackChannels: number | null;
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
