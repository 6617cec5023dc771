// What the server engine needs to run, resolved from settings and flags by main.ts before the worker starts,
// and what it reports back: its clients, its counters and its events.
import type { UdpSocketStats } from '../net/udp-socket.js';
import type { RecorderLink } from '../recorder/tap.js';
import type { RecorderStateValue } from '../recorder/recorder-facts.js';

export interface ServerEngineOptions {
  port: number;
  /** Address to bind; 0.0.0.0 by default (friends reach the box from the internet through the router). */
  bindAddress: string;
  maxClients: number;
  /** 64-sample ticks (Jamulus -F); otherwise 128. */
  fastUpdate: boolean;
  welcome: string;
  /** Send CLM_DISCONNECTION to every client when stopping (Jamulus -d). */
  disconnectOnQuit: boolean;
  /** The recorder's ring and track port (transferred to the worker); absent: nothing is recorded. */
  recorder?: RecorderLink;
  /** RECORDER_STATE for clients from the start. */
  recorderState?: RecorderStateValue;
}

export interface ClientSummary {
  id: number;
  address: string;
  name: string;
  jitterBufferSize: number;
  channels: number;
  instrumentCode: number;
  city: string;
  countryCode: number;
  skillLevelCode: number;
  identified: boolean;
  level: number;
  codec: string;
  frameSamples: number;
  codedBytes: number;
  sequence: boolean;
  connectedSeconds: number;
}

export interface EngineStats {
  port: number;
  frameSamples: 64 | 128;
  /** Connected clients: channels whose address is confirmed. */
  clients: number;
  /** Channels on probation: created by a datagram, their address not yet confirmed (may be forged). */
  probation: number;
  /** Encoders of ended channels, kept for the next ones (at most what was ever in use at once). */
  idle: { encoders: number };
  ticks: number;
  /** Timer callbacks that found more than one tick due (the thread was late). */
  lateTicks: number;
  /** Ticks skipped because the thread fell further behind than MAX_CATCH_UP_TICKS. */
  skippedTicks: number;
  datagramsIn: number;
  audioPacketsIn: number;
  audioPacketsOut: number;
  protocolIn: number;
  dropped: Record<string, number>;
  lastDropError: string | null;
  /** The engine's thread (which also paces the ticks, sleeping to absolute deadlines) runs under SCHED_FIFO. */
  engineRealtime: boolean;
  /** The UDP socket's own counters (sendBufferFull: datagrams the kernel refused for lack of buffer). */
  socket?: UdpSocketStats;
  /** process.memoryUsage() in the engine's worker: rss is the process's, the heap figures the worker's own. */
  memory?: NodeJS.MemoryUsage;
}

export type EngineEvent =
  | { event: 'clientConnected'; id: number; address: string; totalChannels: number }
  | { event: 'clientDisconnected'; id: number }
  | { event: 'clientListChanged' }
  | { event: 'chatMessageReceived'; id: number; chatMessage: string }
  /** The last musician left while recording: the recorder finishes that session's files. */
  | { event: 'recordingSessionEnded'; session: number }
  | { event: 'clm'; name: string; value: unknown; address: string; port: number };
