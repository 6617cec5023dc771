// The server's channel slots and the life of a channel in them: admitted on a datagram from an unknown address
// (on a full server, into the slot of the most silent channel on probation), on probation until its address
// has ACKed PROBATION_ACKS of its first messages (engine.ts says why), then confirmed and announced; freed at
// its time-out, on a forged ACK, or when evicted. Only confirmed channels are counted, listed, and reported as
// connected or disconnected.
import { performance } from 'node:perf_hooks';
import { LIMITS, ProtocolLink, type AckOutcome, type ClientListEntry, type ReceivedMessage } from '../protocol/index.js';
import type { Mixer } from '../audio/mixer.js';
import type { RecordingTap } from '../recorder/tap.js';
import type { RecorderStateValue } from '../recorder/recorder-facts.js';
import { Channel, channelKey } from './channel.js';
import {
  ANNOUNCED_OS,
  ANNOUNCED_VERSION,
  CHANNEL_TIMEOUT_SAMPLES,
  PROBATION_ACKS,
  PROBATION_EVICT_SILENCE_MS,
  UDP_IPV4_OVERHEAD_BYTES,
  WELCOME_PREFIX,
} from './server-facts.js';
import type { SendGuard } from './send-guard.js';
import type { DropCounter } from './engine-drops.js';
import type { EngineEvent } from './engine-options.js';

/** What the table needs from the engine around it. */
export interface ChannelTableContext {
  readonly mixer: Mixer;
  readonly tap: RecordingTap | null;
  readonly send: SendGuard;
  readonly drops: DropCounter;
  peerAddress(addr: number): string | null;
  /** What a newcomer's connection sequence tells it. */
  recorderState(): RecorderStateValue;
  welcome(): string;
  /** An acknowledged message the link let through (channel-messages.ts). */
  onMessage(ch: Channel, m: ReceivedMessage): void;
  emit(e: EngineEvent): void;
  /** The engine ticks while the table holds channels. */
  startTicking(): void;
  stopTicking(): void;
}

export class ChannelTable {
  /** Indexed by channel id; null where free. */
  readonly slots: (Channel | null)[];
  private readonly byKey = new Map<number, Channel>();
  private confirmed = 0;

  constructor(
    maxClients: number,
    private readonly ctx: ChannelTableContext,
  ) {
    this.slots = new Array<Channel | null>(maxClients).fill(null);
  }

  /** The channel of addr:port, if it has one. */
  get(addr: number, port: number): Channel | undefined {
    return this.byKey.get(channelKey(addr, port));
  }

  /** Channels in slots, on probation or not. */
  get size(): number {
    return this.byKey.size;
  }

  /** Channels out of probation. */
  get confirmedCount(): number {
    return this.confirmed;
  }

  /**
   * A channel for a new address whose first datagram was `firstLength` bytes, its connection sequence queued;
   * null when the server is full.
   */
  admit(addr: number, port: number, firstLength: number, now: number): Channel | null {
    const id = this.freeSlot(now);
    if (id < 0) return null;
    const { mixer } = this.ctx;
    const ch = new Channel(id, addr, this.ctx.peerAddress(addr) ?? '?', port, now, (c) => this.makeLink(c));
    ch.bytesIn = firstLength + UDP_IPV4_OVERHEAD_BYTES;
    ch.link.unpredictableCounters = true;
    this.slots[id] = ch;
    this.byKey.set(ch.key, ch);
    mixer.resetChannel(id);
    mixer.setFade(id, 0);
    // The connection sequence of §4.1, each waiting for the previous ACK, with RECORDER_STATE moved up: the
    // first PROBATION_ACKS messages are ones a client answers with nothing but the ACK, so no answer of its
    // own races the confirmation (and is ignored, as sent on probation).
    const l = ch.link;
    l.sendMessage('CLIENT_ID', { channelId: id }, now);
    l.sendMessage('CONN_CLIENTS_LIST', { clients: [] }, now);
    l.sendMessage('RECORDER_STATE', { state: this.ctx.recorderState() }, now);
    l.sendMessage('REQ_SPLIT_MESS_SUPPORT', {}, now);
    l.sendMessage('REQ_NETW_TRANSPORT_PROPS', {}, now);
    l.sendMessage('REQ_JITT_BUF_SIZE', {}, now);
    l.sendMessage('REQ_CHANNEL_INFOS', {}, now);
    const welcome = this.ctx.welcome();
    if (welcome) l.sendMessage('CHAT_TEXT', { text: (WELCOME_PREFIX + welcome).slice(0, LIMITS.chat) }, now);
    l.sendMessage('VERSION_AND_OS', { os: ANNOUNCED_OS, version: ANNOUNCED_VERSION }, now);
    this.ctx.startTicking();
    return ch;
  }

  free(ch: Channel): void {
    this.slots[ch.id] = null;
    this.byKey.delete(ch.key);
    this.ctx.mixer.removeInput(ch.id);
    ch.link.reset();
    ch.release();
    // A channel on probation was never announced, so its end is nobody's business.
    if (ch.confirmed) {
      this.confirmed--;
      this.ctx.emit({ event: 'clientDisconnected', id: ch.id });
      this.broadcastClientList();
    }
    if (this.byKey.size === 0) {
      this.ctx.stopTicking();
      const tap = this.ctx.tap;
      const ended = tap ? tap.idle() : -1;
      if (ended >= 0) this.ctx.emit({ event: 'recordingSessionEnded', session: ended });
    }
  }

  clientList(): ClientListEntry[] {
    const list: ClientListEntry[] = [];
    for (const ch of this.slots) {
      if (ch?.confirmed) list.push({ channelId: ch.id, ...ch.info });
    }
    return list;
  }

  broadcastClientList(): void {
    const clients = this.clientList();
    const now = performance.now();
    for (const ch of this.slots) if (ch?.confirmed) ch.link.sendMessage('CONN_CLIENTS_LIST', { clients }, now);
    this.ctx.emit({ event: 'clientListChanged' });
  }

  /** A free slot for a new address, or on a full server the slot of the most silent channel on probation. */
  private freeSlot(now: number): number {
    const id = this.slots.indexOf(null);
    if (id >= 0) return id;
    let victim: Channel | null = null;
    for (const ch of this.slots) {
      if (ch && !ch.confirmed && now - ch.lastHeardMs >= PROBATION_EVICT_SILENCE_MS && (!victim || ch.lastHeardMs < victim.lastHeardMs)) victim = ch;
    }
    if (!victim) return -1;
    this.ctx.drops.countFrom('probation-evicted', victim.addr, victim.port, 'silent on probation, slot given to a newcomer');
    this.free(victim);
    return victim.id;
  }

  private makeLink(ch: Channel): ProtocolLink {
    return new ProtocolLink({
      send: (bytes) => this.ctx.send.toChannel(ch, bytes),
      onMessage: (m) => this.ctx.onMessage(ch, m),
      onDrop: (reason, error) => this.ctx.drops.count(reason, `${ch.endpoint}: ${error}`),
      onAck: (outcome) => this.onAck(ch, outcome),
    });
  }

  private onAck(ch: Channel, outcome: AckOutcome): void {
    if (ch.confirmed || this.slots[ch.id] !== ch) return;
    if (outcome === 'matched') {
      if (++ch.probationAcks >= PROBATION_ACKS) this.confirm(ch);
    } else if (outcome === 'unexpected') {
      // Only a sender that never saw our messages ACKs one we did not send: the address is forged.
      this.ctx.drops.countFrom('probation-bad-ack', ch.addr, ch.port, 'ACKed a message never sent to it');
      this.free(ch);
    }
  }

  /** The address proved it receives what we send: the channel becomes a client like the reference's. */
  private confirm(ch: Channel): void {
    ch.confirmed = true;
    ch.link.unpredictableCounters = false;
    ch.timeoutSamples = CHANNEL_TIMEOUT_SAMPLES;
    this.confirmed++;
    this.ctx.tap?.connected(ch.id, ch.address, ch.port);
    this.ctx.emit({ event: 'clientConnected', id: ch.id, address: `${ch.endpoint}`, totalChannels: this.confirmed });
  }
}
