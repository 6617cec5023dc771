// The server's real-time half: it takes every datagram and runs the frame tick that decodes, mixes, encodes and
// sends. It runs inside a worker thread whose loop (engine-worker.ts) owns the one UDP socket — every datagram,
// audio, acknowledged and connection-less, shares the port (§1.1) — and feeds it datagrams in batches and ticks
// at their deadlines. Nothing here blocks or waits; JSON-RPC, settings and logging stay on the main thread.
//
// Unlike the reference, a new channel starts on probation (server-facts.ts, PROBATION_*): until its address
// has ACKed the first messages, sent with unpredictable counters, it may be a forged source, and it gets
// nothing a forger could use — no audio, no level lists, no place in client lists, none of its acknowledged
// messages processed, and never more bytes than it sent. send-guard.ts keeps audio ahead of everything else.
//
// Its parts: channel-table.ts (the slots, admission and probation), channel-messages.ts (what a client's
// messages do), tick-audio.ts (the tick's audio), clm-replies.ts (connection-less messages).
import { performance } from 'node:perf_hooks';
import {
  CODEC_NAMES,
  MESSAGE_IDS,
  encodeMessage,
  isProtocolFrame,
  messageClass,
  parseFrame,
  LIMITS,
  type ClmMessageName,
  type Frame,
  type MessageValues,
} from '../protocol/index.js';
import { Mixer } from '../audio/mixer.js';
import { tickPeriodNs } from '../audio/tick-period.js';
import { endpointText } from '../net/endpoint.js';
import { idleChannelState, type Channel } from './channel.js';
import { ChannelTable } from './channel-table.js';
import { ChannelMessages } from './channel-messages.js';
import { TickAudio } from './tick-audio.js';
import { CHANNEL_TIMEOUT_SAMPLES, DISCONNECT_TIMEOUT_SAMPLES, MAX_CATCH_UP_TICKS, UDP_IPV4_OVERHEAD_BYTES } from './server-facts.js';
import { SendGuard, type DatagramSink } from './send-guard.js';
import { DropCounter } from './engine-drops.js';
import { ClmReplies } from './clm-replies.js';
import { RecordingTap } from '../recorder/tap.js';
import { RecorderState, type RecorderStateValue } from '../recorder/recorder-facts.js';
import type { ClientSummary, EngineEvent, EngineStats, ServerEngineOptions } from './engine-options.js';

export type { DatagramSink } from './send-guard.js';

const SERVER_FULL = encodeMessage('CLM_SERVER_FULL', {}, 0);
const ID_ACKN = MESSAGE_IDS.ACKN;
/** Messages whose processing sends something to every other client (they take from the fan-out budget). */
const FANOUT_IDS = new Set<number>([MESSAGE_IDS.CHAT_TEXT, MESSAGE_IDS.CHANNEL_INFOS]);

export class ServerEngine {
  readonly options: ServerEngineOptions;
  readonly frameSamples: 64 | 128;
  readonly periodNs: number;
  private readonly table: ChannelTable;
  /** The table's slots, indexed by channel id. */
  private readonly slots: readonly (Channel | null)[];
  private readonly messages: ChannelMessages;
  private readonly audio: TickAudio;
  /** CLOCK_MONOTONIC ns of the next tick; meaningful while channels exist. */
  private deadlineNs = 0;
  private ticking = false;
  private welcome: string;
  private nowMs = 0;
  private readonly send: SendGuard;
  // The latest drop, kept as fields and turned into text only when asked: a flood then builds no strings.
  private readonly drops: DropCounter;
  private readonly clm: ClmReplies;
  /** Copies what the tick decoded into the recorder's ring; null when the server has no recorder. */
  private readonly tap: RecordingTap | null;
  private recorderState: RecorderStateValue;
  readonly stats: EngineStats;

  constructor(
    options: ServerEngineOptions,
    private readonly emit: (e: EngineEvent) => void,
    private readonly sink: DatagramSink,
  ) {
    this.options = options;
    this.frameSamples = options.fastUpdate ? 64 : 128;
    this.periodNs = tickPeriodNs(this.frameSamples);
    const mixer = new Mixer(options.maxClients, this.frameSamples);
    this.welcome = options.welcome;
    const tap = (this.tap = options.recorder ? new RecordingTap(options.recorder, options.maxClients, options.recorder.port) : null);
    this.recorderState = options.recorderState ?? RecorderState.NOT_INITIALISED;
    this.stats = {
      port: options.port,
      frameSamples: this.frameSamples,
      clients: 0,
      ticks: 0,
      lateTicks: 0,
      skippedTicks: 0,
      datagramsIn: 0,
      audioPacketsIn: 0,
      audioPacketsOut: 0,
      protocolIn: 0,
      probation: 0,
      idle: { encoders: 0 },
      dropped: {},
      lastDropError: null,
      engineRealtime: false,
    };
    const drops = (this.drops = new DropCounter(this.stats, (addr, port) => this.endpoint(addr, port)));
    const send = (this.send = new SendGuard(sink, options.maxClients, performance.now(), (reason, addr, port) =>
      drops.countFrom(reason, addr, port, 'not sent'),
    ));
    const table = (this.table = new ChannelTable(options.maxClients, {
      mixer,
      tap,
      send,
      drops,
      peerAddress: (addr) => sink.peerAddress(addr),
      recorderState: () => this.recorderState,
      welcome: () => this.welcome,
      onMessage: (ch, m) => this.messages.handle(ch, m),
      emit,
      startTicking: () => this.startTicking(),
      stopTicking: () => {
        this.ticking = false;
      },
    }));
    this.slots = table.slots;
    this.messages = new ChannelMessages({
      frameSamples: this.frameSamples,
      table,
      mixer,
      tap,
      drops,
      nowMs: () => this.nowMs,
      emit,
    });
    this.audio = new TickAudio(this.frameSamples, table.slots, mixer, tap, send, this.stats);
    this.clm = new ClmReplies({
      send,
      drops,
      peerId: (address) => sink.peerId(address),
      peerAddress: (addr) => sink.peerAddress(addr),
      endpoint: (addr, port) => this.endpoint(addr, port),
      connectedCount: () => table.confirmedCount,
      clientList: () => table.clientList(),
      disconnect: (addr, port) => {
        const ch = table.get(addr, port);
        if (ch) ch.timeoutSamples = DISCONNECT_TIMEOUT_SAMPLES;
      },
      forward: (name, value, address, port) => this.emit({ event: 'clm', name, value, address, port }),
    });
  }

  /** Queues CLM_DISCONNECTION to every client (Jamulus -d), for the loop to flush before it closes the socket. */
  disconnectAll(): void {
    if (!this.options.disconnectOnQuit) return;
    const bytes = encodeMessage('CLM_DISCONNECTION', {}, 0);
    for (const ch of this.slots) if (ch?.confirmed) this.send.control(bytes, ch.addr, ch.port);
  }

  setPort(port: number, realtime: boolean): void {
    this.stats.port = port;
    this.stats.engineRealtime = realtime;
  }

  // ---- control (called from the main thread through the worker bridge) ----

  getClients(): ClientSummary[] {
    const out: ClientSummary[] = [];
    for (const ch of this.slots) {
      if (!ch?.confirmed) continue;
      const a = ch.audio;
      out.push({
        id: ch.id,
        address: `${ch.endpoint}`,
        name: ch.info.name,
        jitterBufferSize: ch.jitterBlocks,
        channels: a ? a.format.channels : 0,
        instrumentCode: ch.info.instrument,
        city: ch.info.city,
        countryCode: ch.info.country,
        skillLevelCode: ch.info.skill,
        identified: ch.identified,
        level: ch.level,
        codec: a ? (CODEC_NAMES[a.format.codec] ?? 'NONE') : 'NONE',
        frameSamples: a ? a.format.frameSamples : 0,
        codedBytes: a ? a.format.codedBytes : 0,
        sequence: a ? a.format.sequence : false,
        connectedSeconds: Math.round((Date.now() - ch.connectedAt) / 1000),
      });
    }
    return out;
  }

  getStats(): EngineStats {
    this.stats.clients = this.table.confirmedCount;
    this.stats.probation = this.table.size - this.table.confirmedCount;
    this.stats.idle = idleChannelState();
    this.stats.socket = this.sink.stats?.();
    // Called from the engine's worker: the heap figures are its own isolate's.
    this.stats.memory = process.memoryUsage();
    this.drops.text();
    return this.stats;
  }

  setWelcomeMessage(text: string): void {
    this.welcome = text.slice(0, LIMITS.chatTyped);
  }

  /** Sends text as-is to every connected client (Jamulus's broadcastChatMessage semantics). */
  broadcastChat(text: string): void {
    const html = text.slice(0, LIMITS.chat);
    this.nowMs = performance.now();
    for (const ch of this.slots) if (ch?.confirmed) ch.link.sendMessage('CHAT_TEXT', { text: html }, this.nowMs);
  }

  /** Sends a connection-less message to any address from the server's own port (directory registration). */
  sendClmTo<N extends ClmMessageName>(name: N, value: MessageValues[N], address: string, port: number): void {
    this.send.control(encodeMessage(name, value, 0), this.sink.peerId(address), port);
  }

  /**
   * The recorder's state as clients see it (RECORDER_STATE, sent on change and to every newcomer), and
   * whether the tick feeds the ring. Returns the number of the recording session that ended, or −1.
   */
  setRecorder(o: { state: RecorderStateValue; recording: boolean; newSession: boolean }): number {
    const ended = this.tap ? this.tap.set(o.recording, o.newSession) : -1;
    if (o.state !== this.recorderState) {
      this.recorderState = o.state;
      this.nowMs = performance.now();
      for (const ch of this.slots) if (ch) ch.link.sendMessage('RECORDER_STATE', { state: o.state }, this.nowMs);
    }
    return ended;
  }

  /** The directory we register with (or null): the only source whose CLM_SEND_EMPTY_MESSAGE we obey. */
  setHolePunchSource(address: string | null): void {
    this.clm.setHolePunchSource(address);
  }

  // ---- receive path ----

  /** True while channels exist: the loop then runs ticks at their deadlines. */
  get active(): boolean {
    return this.ticking;
  }

  get nextDeadlineNs(): number {
    return this.deadlineNs;
  }

  /**
   * One received datagram; `buf` may be longer than `length` (a slot of the socket's batch memory) and is only
   * valid during the call. Never throws: bad input is counted.
   */
  onDatagram(buf: Uint8Array, length: number, addr: number, port: number, nowMs: number): void {
    this.stats.datagramsIn++;
    this.nowMs = nowMs;
    const ch = this.table.get(addr, port);
    if (ch) {
      ch.lastHeardMs = nowMs;
      if (!ch.confirmed) ch.bytesIn += length + UDP_IPV4_OVERHEAD_BYTES;
    }
    if (isProtocolFrame(buf, length)) {
      this.stats.protocolIn++;
      const f = parseFrame(buf, length);
      if (!f.ok) return this.drops.count(f.reason, f.error);
      if (messageClass(f.id) === 'clm') return this.clm.onClm(f, addr, port, nowMs);
      // Acknowledged messages are only taken from an address that owns a channel, and are not ACKed
      // otherwise (§2.1): a client's first NETW_TRANSPORT_PROPS races its first audio packet.
      if (!ch) return this.drops.countFrom('acked-from-unknown-address', addr, port, 'acknowledged message without a channel');
      return this.onChannelFrame(ch, f, nowMs);
    }
    this.onAudio(ch, buf, length, addr, port);
  }

  /**
   * ACKs always reach the link (they confirm a channel on probation). Other acknowledged messages count as
   * from the channel's owner only once it is confirmed, like messages from an address without a channel;
   * then they are rationed, and what is over the ration is left unACKed for the client to send again.
   */
  private onChannelFrame(ch: Channel, f: Frame, nowMs: number): void {
    if (f.id !== ID_ACKN && !ch.link.isRepeat(f)) {
      if (!ch.confirmed) return this.drops.countFrom('acked-on-probation', ch.addr, ch.port, 'message id, before the address was confirmed', f.id);
      if (!ch.messageBudget.take(1, nowMs)) return this.drops.countFrom('message-rate', ch.addr, ch.port, 'message id, over the rate', f.id);
      if (FANOUT_IDS.has(f.id) && !ch.fanoutBudget.take(1, nowMs)) return this.drops.countFrom('fanout-rate', ch.addr, ch.port, 'message id, over the rate', f.id);
    }
    ch.link.receiveFrame(f, nowMs);
  }

  private onAudio(found: Channel | undefined, msg: Uint8Array, length: number, addr: number, port: number): void {
    this.stats.audioPacketsIn++;
    let ch = found;
    if (!ch) {
      // A forged one-byte datagram must not buy a reply bigger than itself.
      if (length < LIMITS.minFrameBytes) return this.drops.countFrom('too-short-for-audio', addr, port, 'datagram bytes', length);
      const created = this.table.admit(addr, port, length, this.nowMs);
      if (!created) {
        this.drops.countFrom('server-full', addr, port, 'server full');
        this.send.reply(SERVER_FULL, addr, port, this.nowMs);
        return;
      }
      ch = created;
    }
    // Any non-protocol datagram keeps a channel alive, valid audio or not (§4.1); on probation only its own
    // deadline counts, so a forger cannot keep a slot by sending more.
    if (ch.confirmed) ch.timeoutSamples = CHANNEL_TIMEOUT_SAMPLES;
    const a = ch.audio;
    if (!a) return this.drops.countFrom('audio-before-format', addr, port, 'audio before NETW_TRANSPORT_PROPS');
    if (!a.putPacket(msg, length)) {
      ch.wrongSizePackets++;
      return this.drops.countFrom('audio-wrong-size', addr, port, 'audio of the wrong size, bytes', length);
    }
    ch.fade.onPacket();
  }

  // ---- tick ----

  private startTicking(): void {
    if (this.ticking) return;
    this.ticking = true;
    this.deadlineNs = this.nowNs() + this.periodNs;
  }

  /** CLOCK_MONOTONIC in ns, from the same clock the worker loop sleeps on. */
  nowNs: () => number = () => Math.round(performance.now() * 1e6);

  /**
   * Runs the ticks that are due at nowNs (the loop calls this after waking at nextDeadlineNs). A thread that
   * fell behind catches up a few ticks at once, like the reference's timer; beyond that the ticks are
   * dropped and counted, so a long stall does not turn into a burst that floods every client.
   */
  runDueTicks(nowNs: number): void {
    if (!this.ticking || nowNs < this.deadlineNs) return;
    let due = Math.floor((nowNs - this.deadlineNs) / this.periodNs) + 1;
    if (due > 1) this.stats.lateTicks++;
    if (due > MAX_CATCH_UP_TICKS) {
      this.stats.skippedTicks += due - MAX_CATCH_UP_TICKS;
      this.deadlineNs += (due - MAX_CATCH_UP_TICKS) * this.periodNs;
      due = MAX_CATCH_UP_TICKS;
    }
    for (let i = 0; i < due && this.ticking; i++) {
      // Each catching-up tick gets the whole send queue for its audio.
      if (i > 0) this.sink.flush();
      this.tick();
      this.deadlineNs += this.periodNs;
    }
  }

  private tick(): void {
    this.stats.ticks++;
    const T = this.frameSamples;
    const now = (this.nowMs = performance.now());
    const slots = this.slots;

    // Time-outs first: a freed channel takes no part in this tick.
    for (let i = 0; i < slots.length; i++) {
      const ch = slots[i];
      if (!ch) continue;
      ch.timeoutSamples -= T;
      if (ch.timeoutSamples <= 0) {
        if (!ch.confirmed) this.drops.countFrom('probation-timeout', ch.addr, ch.port, 'never confirmed');
        this.table.free(ch);
      }
    }
    this.audio.run(now);
  }

  // ---- helpers ----

  /** "a.b.c.d:port" or "[v6]:port", for messages. */
  private endpoint(addr: number, port: number): string {
    return endpointText(this.sink.peerAddress(addr) ?? '?', port);
  }

  /**
   * An exception escaped the receive path or the tick. The loop keeps running; the count and the message
   * show up in getStats (and JSON-RPC riffbox/getServerStats) so the bug is visible rather than silent.
   */
  countInternalError(where: 'receive' | 'tick', e: Error): void {
    this.drops.count('internal-error', `${where}: ${e.stack ?? e.message}`);
    // A tick that threw part-way may have left the deadline behind; start afresh rather than catch up.
    if (where === 'tick') this.deadlineNs = this.nowNs() + this.periodNs;
  }
}
