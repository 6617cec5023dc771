// The engine's send path, with its priorities: audio to connected clients first, then everything else
// within what is left of the send queue; a channel on probation is sent no more bytes than its address sent;
// connection-less replies (to any address at all) come out of a per-source and a global byte budget. Every
// refusal is counted by the engine through `refused`.
import { ReplyBudget } from './token-buckets.js';
import { CLM_GLOBAL_BUDGET, CLM_SOURCE_BUDGET, CLM_SOURCE_SLOTS, UDP_IPV4_OVERHEAD_BYTES } from './server-facts.js';
import type { Channel } from './channel.js';
import type { UdpSocketStats } from '../net/udp-socket.js';

/**
 * Where the engine's datagrams go: the worker loop's native socket, sent in one batch per loop turn.
 * Peers are uint32s (IPv4 as itself, IPv6 as the socket's peer id); the socket names them.
 */
export interface DatagramSink {
  queue(bytes: Uint8Array, offset: number, length: number, addr: number, port: number): boolean;
  peerId(address: string): number;
  peerAddress(addr: number): string | null;
  /** Datagrams queued since the last flush, and how many the queue holds. */
  readonly queued: number;
  readonly sendQueueLength: number;
  /** Sends everything queued (one sendmmsg); returns how many went out. */
  flush(): number;
  /** The socket's own counters, where it keeps them. */
  stats?(): UdpSocketStats;
}

export type SendRefusal =
  /** A protocol or connection-less datagram found only the slots kept for the tick's audio free. */
  | 'control-yields-to-audio'
  /** Audio found the send queue full (the reserve was too small: never expected). */
  | 'audio-send-queue-full'
  /** A channel on probation would have been sent more bytes than its address sent. */
  | 'probation-budget'
  | 'clm-budget-source'
  | 'clm-budget-global';

/** The most audio datagrams one tick sends a client: two OPUS64 frames of a 128-sample tick (§3.6). */
const AUDIO_DATAGRAMS_PER_CLIENT_TICK = 2;

export class SendGuard {
  private readonly controlSlots: number;
  private readonly replies: ReplyBudget;

  constructor(
    private readonly sink: DatagramSink,
    maxClients: number,
    nowMs: number,
    private readonly refused: (reason: SendRefusal, addr: number, port: number) => void,
  ) {
    this.controlSlots = Math.max(1, sink.sendQueueLength - maxClients * AUDIO_DATAGRAMS_PER_CLIENT_TICK);
    this.replies = new ReplyBudget(CLM_SOURCE_BUDGET, CLM_GLOBAL_BUDGET, CLM_SOURCE_SLOTS, nowMs);
  }

  /** An audio datagram for a connected client: it may use the whole queue. */
  audio(bytes: Uint8Array, length: number, addr: number, port: number): void {
    if (!this.sink.queue(bytes, 0, length, addr, port)) this.refused('audio-send-queue-full', addr, port);
  }

  /** Anything but audio: it may use the queue up to the slots one tick's audio needs. */
  control(bytes: Uint8Array, addr: number, port: number): boolean {
    if (this.sink.queued >= this.controlSlots || !this.sink.queue(bytes, 0, bytes.length, addr, port)) {
      this.refused('control-yields-to-audio', addr, port);
      return false;
    }
    return true;
  }

  /** A message of a channel's link (acknowledged messages, ACKs, its level list). */
  toChannel(ch: Channel, bytes: Uint8Array): void {
    if (!ch.confirmed) {
      const cost = bytes.length + UDP_IPV4_OVERHEAD_BYTES;
      if (ch.bytesOut + cost > ch.bytesIn) return this.refused('probation-budget', ch.addr, ch.port);
      ch.bytesOut += cost;
    }
    this.control(bytes, ch.addr, ch.port);
  }

  /** A connection-less reply to whoever asked (pings, version, client list, server full). */
  reply(bytes: Uint8Array, addr: number, port: number, nowMs: number): void {
    const verdict = this.replies.take(addr, bytes.length + UDP_IPV4_OVERHEAD_BYTES, nowMs);
    if (verdict === 'ok') this.control(bytes, addr, port);
    else this.refused(verdict === 'source' ? 'clm-budget-source' : 'clm-budget-global', addr, port);
  }
}
