// What the client engine needs to run, resolved from settings and flags on the main thread before the
// worker starts (and again on riffbox/reload), and the shapes it reports back.
import type { AudioQuality } from '../audio/opus-codec.js';
import type { AlsaSampleFormat } from '../audio/native.js';
import type { Mix } from '../settings/mix-field.js';
import type { FlatSettings } from '../settings/schema.js';
import { effectiveServerAddress } from './server-address.js';

export type ChannelsMode = 'mono' | 'mono-stereo' | 'stereo';

export interface ClientProfile {
  name: string;
  /** Qt5 QLocale::Country number. */
  country: number;
  instrument: number;
  city: string;
  /** 0 not set, 1 beginner, 2 intermediate, 3 expert. */
  skill: number;
}

export function sameProfile(a: ClientProfile, b: ClientProfile): boolean {
  return a.name === b.name && a.country === b.country && a.instrument === b.instrument && a.city === b.city && a.skill === b.skill;
}

export interface ClientEngineOptions {
  /** host[:port]; the port defaults to 22124. */
  server: string;
  /** false: stay disconnected until riffbox/connect. */
  autoConnect: boolean;
  device: string;
  frames: 64 | 128;
  quality: AudioQuality;
  channels: ChannelsMode;
  /** Which capture channel feeds a mono stream. */
  monoInput: 1 | 2;
  jitterAuto: boolean;
  jitterSize: number;
  /** Send silence: the others stop hearing the box. */
  muteMyself: boolean;
  hearOwnSignal: boolean;
  profile: ClientProfile;
  mix: Mix;
}

export function engineOptionsFrom(s: FlatSettings): ClientEngineOptions {
  return {
    server: effectiveServerAddress(s['client.server'], s['server.port']),
    autoConnect: s['client.enabled'],
    device: s['client.device'],
    frames: s['client.frames'],
    quality: s['client.quality'],
    channels: s['client.channels'],
    monoInput: s['client.monoInput'],
    jitterAuto: s['client.jitterAuto'],
    jitterSize: s['client.jitterSize'],
    muteMyself: s['client.muteMyself'],
    hearOwnSignal: s['client.hearOwnSignal'],
    profile: {
      name: s['client.name'],
      country: s['client.country'],
      instrument: s['client.instrument'],
      city: s['client.city'],
      skill: s['client.skill'],
    },
    mix: s['client.mix'],
  };
}

/** One musician on the server, as the last CONN_CLIENTS_LIST described them. */
export interface RemoteClient {
  /** The server's channel id (riffbox uses server ids as mixer indices, like Jamulus 3.6–3.11). */
  id: number;
  name: string;
  country: number;
  instrument: number;
  skill: number;
  city: string;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'retrying';

export interface ClientStats {
  state: ConnectionState;
  /** "host:port" the session is with (as configured), or null. */
  server: string | null;
  /** Resolved "ip:port", or null. */
  serverAddress: string | null;
  ownChannelId: number | null;
  serverVersion: string | null;
  pingMs: number | null;
  overallDelayMs: number | null;
  codec: 'OPUS' | 'OPUS64';
  frames: 64 | 128;
  channels: ChannelsMode;
  codedBytes: number;
  sequence: boolean;
  clientJitterBlocks: number;
  serverJitterBlocks: number;
  jitterAuto: boolean;
  muted: boolean;
  device: {
    name: string;
    state: 'running' | 'lost' | 'stopped';
    error: string | null;
    xruns: number;
    /** Of xruns, those of the output; each one adds a period to playbackPeriods (up to 8). */
    playbackXruns: number;
    /** The output's fill in periods: 2, more while the device needs headroom (0 without a device). */
    playbackPeriods: number;
    captureOverruns: number;
    playbackUnderruns: number;
    reopens: number;
    realtime: boolean;
    /** No clock of its own (ALSA's null PCM): paced by the system clock. */
    paced: boolean;
    captureChannels: number;
    playbackChannels: number;
    /** The sample format the device is open in (while it is lost, the one the next attempt starts with). */
    format: AlsaSampleFormat;
  };
  audioPacketsOut: number;
  audioPacketsIn: number;
  /** Audio datagrams of the wrong size or from a stranger. */
  audioDropped: number;
  jitterUnderruns: number;
  /** Frames paced by the fallback timer while the device was gone. */
  fallbackPeriods: number;
  reconnects: number;
  lastError: string | null;
  protocolDrops: Record<string, number>;
}

export type ClientEngineEvent =
  | { event: 'connected'; server: string }
  | { event: 'clientId'; id: number }
  | { event: 'disconnected'; reason: string }
  | { event: 'attemptFailed'; server: string; reason: string; retryInMs: number }
  | { event: 'clientList'; clients: RemoteClient[] }
  | { event: 'levels'; levels: number[] }
  | { event: 'chat'; text: string }
  | { event: 'device'; state: 'running' | 'lost' | 'stopped'; error: string | null };

/** Options whose change needs a new device, format or server: a clean reconnect. */
export const RESTART_KEYS = ['server', 'device', 'frames', 'quality', 'channels'] as const;
