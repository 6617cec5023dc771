// riffbox/getStats for the client: the connection, the negotiated format, the device and the real-time
// path's counters in one object (ClientStats, client-options.ts).
import { JITTER } from '../audio/jitter-buffer.js';
import { overallDelayMs } from '../audio/overall-delay.js';
import { endpointText } from '../net/endpoint.js';
import type { ClientStream } from './client-stream.js';
import type { Connection } from './connection.js';
import type { ClientEngineOptions, ClientStats } from './client-options.js';

interface ClientStatsParts {
  opts: ClientEngineOptions;
  connection: Connection;
  stream: ClientStream;
  ownId: number | null;
  serverVersion: string | null;
  pingMs: number | null;
  serverJitterBlocks: number;
  /** Datagrams from neither the server nor the last one (or not audio though from the server). */
  strangers: number;
  lastError: string | null;
  protocolDrops: Record<string, number>;
}

export function clientStats(p: ClientStatsParts): ClientStats {
  const { opts, connection: c, stream } = p;
  const k = stream.counters();
  const d = stream.deviceStats();
  const format = stream.format;
  // Until the real-time path has run a period with the new setup, the size it starts with.
  const clientBlocks = k.jitterSize > 0 ? k.jitterSize : opts.jitterAuto ? JITTER.autoStartBlocks : opts.jitterSize;
  const connected = c.state === 'connected';
  const delay =
    p.pingMs === null || !connected
      ? null
      : overallDelayMs({
          pingMs: p.pingMs,
          codecFrameSamples: format.frameSamples,
          packetFillSamples: opts.frames,
          clientJitterBlocks: clientBlocks,
          serverJitterBlocks: p.serverJitterBlocks,
          soundCardPeriodSamples: opts.frames,
          playbackPeriods: d?.playbackPeriods,
        });
  return {
    state: c.state,
    server: c.state === 'disconnected' ? null : c.label,
    serverAddress: c.serverIp && c.server ? endpointText(c.serverIp, c.server.port) : null,
    ownChannelId: p.ownId,
    serverVersion: p.serverVersion,
    pingMs: connected ? p.pingMs : null,
    overallDelayMs: delay,
    codec: opts.frames === 64 ? 'OPUS64' : 'OPUS',
    frames: opts.frames,
    channels: opts.channels,
    codedBytes: format.codedBytes,
    sequence: format.sequence,
    clientJitterBlocks: clientBlocks,
    serverJitterBlocks: p.serverJitterBlocks,
    jitterAuto: opts.jitterAuto,
    muted: opts.muteMyself,
    device: {
      name: opts.device,
      state: d?.state ?? 'stopped',
      error: d?.error ?? null,
      xruns: d?.xruns ?? 0,
      playbackXruns: d?.playbackXruns ?? 0,
      playbackPeriods: d?.playbackPeriods ?? 0,
      captureOverruns: d?.captureOverruns ?? 0,
      playbackUnderruns: d?.playbackUnderruns ?? 0,
      reopens: d?.reopens ?? 0,
      realtime: d?.realtime ?? false,
      paced: d?.paced ?? false,
      captureChannels: stream.captureChannels,
      playbackChannels: stream.playbackChannels,
      format: stream.deviceFormat,
    },
    audioPacketsOut: k.packetsOut,
    audioPacketsIn: k.packetsIn,
    audioDropped: k.wrongSize + p.strangers,
    jitterUnderruns: k.underruns,
    fallbackPeriods: k.fallbackPeriods,
    reconnects: c.reconnects,
    lastError: p.lastError ?? k.lastSendError,
    protocolDrops: { ...p.protocolDrops },
  };
}
