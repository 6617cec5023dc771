// The server's real-time half: the channel slots and the frame tick that decodes, mixes, encodes and sends.
// It runs inside a worker thread whose loop (engine-worker.ts) owns the one UDP socket — every datagram, audio,
// acknowledged and connection-less, shares the port (§1.1) — and feeds it datagrams in batches and ticks at
// their deadlines. Nothing here blocks or waits; JSON-RPC, settings and logging stay on the main thread.
//
// Unlike the reference, a new channel starts on probation (server-facts.ts, PROBATION_*): until its address
// has ACKed the first messages, sent with unpredictable counters, it may be a forged source, and it gets
// nothing a forger could use — no audio, no level lists, no place in client lists, none of its acknowledged
// messages processed, and never more bytes than it sent. send-guard.ts keeps audio ahead of everything else.
import { performance } from 'node:perf_hooks';
import {
  CODEC_NAMES,
  MESSAGE_IDS,
  encodeMessage,
  formatFromProps,
  isProtocolFrame,
  messageClass,
  parseFrame,
  ProtocolLink,
  LIMITS,
  type ClientListEntry,
  type ClmMessageName,
  type AckOutcome,
  type Frame,
  type MessageValues,
  type ReceivedMessage,
} from '../protocol/index.js';
import { Mixer } from '../audio/mixer.js';
import { JITTER } from '../audio/jitter-buffer.js';
import { tickPeriodNs } from '../audio/tick-period.js';
import { endpointText } from '../net/endpoint.js';
import { Channel, ChannelAudio, channelKey, idleChannelState } from './channel.js';
import { chatLineHtml } from './chat-html.js';
import {
  ANNOUNCED_OS,
  ANNOUNCED_VERSION,
  CHANNEL_TIMEOUT_SAMPLES,
  DISCONNECT_TIMEOUT_SAMPLES,
  LEVEL_INTERVAL_64,
  MAX_CATCH_UP_TICKS,
  PROBATION_ACKS,
  PROBATION_EVICT_SILENCE_MS,
  UDP_IPV4_OVERHEAD_BYTES,
  WELCOME_PREFIX,
} from './server-facts.js';
import { SendGuard, type DatagramSink } from './send-guard.js';
import { DropCounter } from './engine-drops.js';
import { ClmReplies } from './clm-replies.js';
import { RecordingTap } from '../recorder/tap.js';
import { RecorderState, type RecorderStateValue } from '../recorder/recorder-facts.js';
import type { ClientSummary, EngineStats, ServerEngineOptions } from './engine-options.js';

export type { DatagramSink } from './send-guard.js';

export type EngineEvent =
  | { event: 'clientConnected'; id: number; address: string; totalChannels: number }
  | { event: 'clientDisconnected'; id: number }
  | { event: 'clientListChanged' }
  | { event: 'chatMessageReceived'; id: number; chatMessage: string }
  /** The last musician left while recording: the recorder finishes that session's files. */
  | { event: 'recordingSessionEnded'; session: number }
  | { event: 'clm'; name: string; value: unknown; address: string; port: number };

const SERVER_FULL = encodeMessage('CLM_SERVER_FULL', {}, 0);
const ID_ACKN = MESSAGE_IDS.ACKN;
/** Messages whose processing sends something to every other client (they take from the fan-out budget). */
const FANOUT_IDS = new Set<number>([MESSAGE_IDS.CHAT_TEXT, MESSAGE_IDS.CHANNEL_INFOS]);

export class ServerEngine {
  readonly options: ServerEngineOptions;
  readonly frameSamples: 64 | 128;
  readonly periodNs: number;
  private readonly slots: (Channel | null)[];
  private readonly byKey = new Map<number, Channel>();
  private readonly mixer: Mixer;
  /** CLOCK_MONOTONIC ns of the next tick; meaningful while channels exist. */
  private deadlineNs = 0;
  private ticking = false;
  private levelCounter = 0;
  private welcome: string;
  private serverInfo: { name: string; city: string; country: number };
  private nowMs = 0;
  /** Channels out of probation. */
  private confirmedCount = 0;
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
    this.slots = new Array<Channel | null>(options.maxClients).fill(null);
    this.mixer = new Mixer(options.maxClients, this.frameSamples);
    this.welcome = options.welcome;
    this.serverInfo = { name: options.name, city: options.city, country: options.country };
    this.tap = options.recorder ? new RecordingTap(options.recorder, options.maxClients, options.recorder.port) : null;
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
    this.clm = new ClmReplies({
      send,
      drops,
      peerId: (address) => sink.peerId(address),
      peerAddress: (addr) => sink.peerAddress(addr),
      endpoint: (addr, port) => this.endpoint(addr, port),
      connectedCount: () => this.confirmedCount,
      clientList: () => this.clientList(),
      disconnect: (addr, port) => {
        const ch = this.byKey.get(channelKey(addr, port));
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
    this.stats.clients = this.confirmedCount;
    this.stats.probation = this.byKey.size - this.confirmedCount;
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

  setServerInfo(info: { name: string; city: string; country: number }): void {
    this.serverInfo = { ...info };
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
    const ch = this.byKey.get(channelKey(addr, port));
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
      const created = this.allocate(addr, port, length);
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

  // ---- channels ----

  /** A free slot for a new address, or on a full server the slot of the most silent channel on probation. */
  private freeSlot(): number {
    const id = this.slots.indexOf(null);
    if (id >= 0) return id;
    let victim: Channel | null = null;
    for (const ch of this.slots) {
      if (ch && !ch.confirmed && this.nowMs - ch.lastHeardMs >= PROBATION_EVICT_SILENCE_MS && (!victim || ch.lastHeardMs < victim.lastHeardMs)) victim = ch;
    }
    if (!victim) return -1;
    this.drops.countFrom('probation-evicted', victim.addr, victim.port, 'silent on probation, slot given to a newcomer');
    this.free(victim);
    return victim.id;
  }

  private allocate(addr: number, port: number, firstLength: number): Channel | null {
    const id = this.freeSlot();
    if (id < 0) return null;
    const now = this.nowMs;
    const ch = new Channel(id, addr, this.sink.peerAddress(addr) ?? '?', port, now, (c) => this.makeLink(c));
    ch.bytesIn = firstLength + UDP_IPV4_OVERHEAD_BYTES;
    ch.link.unpredictableCounters = true;
    this.slots[id] = ch;
    this.byKey.set(ch.key, ch);
    this.mixer.resetChannel(id);
    this.mixer.setFade(id, 0);
    // The connection sequence of §4.1, each waiting for the previous ACK, with RECORDER_STATE moved up: the
    // first PROBATION_ACKS messages are ones a client answers with nothing but the ACK, so no answer of its
    // own races the confirmation (and is ignored, as sent on probation).
    const l = ch.link;
    l.sendMessage('CLIENT_ID', { channelId: id }, now);
    l.sendMessage('CONN_CLIENTS_LIST', { clients: [] }, now);
    l.sendMessage('RECORDER_STATE', { state: this.recorderState }, now);
    l.sendMessage('REQ_SPLIT_MESS_SUPPORT', {}, now);
    l.sendMessage('REQ_NETW_TRANSPORT_PROPS', {}, now);
    l.sendMessage('REQ_JITT_BUF_SIZE', {}, now);
    l.sendMessage('REQ_CHANNEL_INFOS', {}, now);
    if (this.welcome) l.sendMessage('CHAT_TEXT', { text: (WELCOME_PREFIX + this.welcome).slice(0, LIMITS.chat) }, now);
    l.sendMessage('VERSION_AND_OS', { os: ANNOUNCED_OS, version: ANNOUNCED_VERSION }, now);
    this.startTicking();
    return ch;
  }

  /** The address proved it receives what we send: the channel becomes a client like the reference's. */
  private confirm(ch: Channel): void {
    ch.confirmed = true;
    ch.link.unpredictableCounters = false;
    ch.timeoutSamples = CHANNEL_TIMEOUT_SAMPLES;
    this.confirmedCount++;
    this.tap?.connected(ch.id, ch.address, ch.port);
    this.emit({ event: 'clientConnected', id: ch.id, address: `${ch.endpoint}`, totalChannels: this.confirmedCount });
  }

  private free(ch: Channel): void {
    this.slots[ch.id] = null;
    this.byKey.delete(ch.key);
    this.mixer.removeInput(ch.id);
    ch.link.reset();
    ch.release();
    // A channel on probation was never announced, so its end is nobody's business.
    if (ch.confirmed) {
      this.confirmedCount--;
      this.emit({ event: 'clientDisconnected', id: ch.id });
      this.broadcastClientList();
    }
    if (this.byKey.size === 0) {
      this.ticking = false;
      const ended = this.tap ? this.tap.idle() : -1;
      if (ended >= 0) this.emit({ event: 'recordingSessionEnded', session: ended });
    }
  }

  private makeLink(ch: Channel): ProtocolLink {
    return new ProtocolLink({
      send: (bytes) => this.send.toChannel(ch, bytes),
      onMessage: (m) => this.onChannelMessage(ch, m),
      onDrop: (reason, error) => this.drops.count(reason, `${ch.endpoint}: ${error}`),
      onAck: (outcome) => this.onAck(ch, outcome),
    });
  }

  private onAck(ch: Channel, outcome: AckOutcome): void {
    if (ch.confirmed || this.slots[ch.id] !== ch) return;
    if (outcome === 'matched') {
      if (++ch.probationAcks >= PROBATION_ACKS) this.confirm(ch);
    } else if (outcome === 'unexpected') {
      // Only a sender that never saw our messages ACKs one we did not send: the address is forged.
      this.drops.countFrom('probation-bad-ack', ch.addr, ch.port, 'ACKed a message never sent to it');
      this.free(ch);
    }
  }

  private onChannelMessage(ch: Channel, m: ReceivedMessage): void {
    const now = this.nowMs;
    switch (m.name) {
      case 'NETW_TRANSPORT_PROPS': {
        const v = m.value;
        if (v.codec !== 2 && v.codec !== 3) {
          ch.link.sendMessage('OPUS_SUPPORTED', {}, now);
          return;
        }
        const fmt = formatFromProps(v);
        const cur = ch.audio?.format;
        if (
          cur &&
          cur.codec === fmt.codec &&
          cur.channels === fmt.channels &&
          cur.codedBytes === fmt.codedBytes &&
          cur.factor === fmt.factor &&
          cur.sequence === fmt.sequence
        ) {
          return;
        }
        let audio: ChannelAudio;
        try {
          audio = new ChannelAudio(fmt, this.frameSamples);
        } catch (e) {
          // e.g. a coded size Opus cannot produce; keep the old format rather than dropping the client.
          this.drops.count('bad-transport-props', `${ch.endpoint}: ${(e as Error).message}`);
          return;
        }
        audio.setJitter(ch.jitterSetting);
        ch.audio?.close();
        ch.audio = audio;
        ch.fade.setFormat(fmt.frameSamples as 64 | 128, fmt.factor);
        return;
      }
      case 'JITT_BUF_SIZE': {
        const blocks = m.value.blocks;
        ch.jitterSetting = blocks;
        ch.audio?.setJitter(blocks);
        if (blocks === JITTER.autoBlocks) ch.link.sendMessage('JITT_BUF_SIZE', { blocks: ch.jitterBlocks }, now);
        return;
      }
      case 'CHANNEL_GAIN': {
        const { channelId, gain } = m.value;
        if (channelId >= this.slots.length) return;
        const before = this.mixer.getGain(ch.id, channelId);
        const g = gain / 32768;
        this.mixer.setGain(ch.id, channelId, g);
        const target = this.slots[channelId];
        if (target?.confirmed && target !== ch && (before === 0) !== (g === 0)) {
          // Reaches another client's queue: rationed like chat. Over the ration only the notice is lost.
          if (ch.fanoutBudget.take(1, now)) target.link.sendMessage('MUTE_STATE_CHANGED', { channelId: ch.id, muted: g === 0 }, now);
          else this.drops.countFrom('fanout-rate', ch.addr, ch.port, 'MUTE_STATE_CHANGED notice over the rate');
        }
        return;
      }
      case 'CHANNEL_PAN': {
        const { channelId, pan } = m.value;
        if (channelId < this.slots.length) this.mixer.setPan(ch.id, channelId, Math.min(1, pan / 32768));
        return;
      }
      case 'CHANNEL_INFOS': {
        const v = m.value;
        const old = ch.info;
        const changed =
          !ch.identified ||
          old.name !== v.name ||
          old.city !== v.city ||
          old.country !== v.country ||
          old.instrument !== v.instrument ||
          old.skill !== v.skill;
        if (old.name !== v.name || !ch.identified) this.tap?.named(ch.id, v.name);
        ch.info = { country: v.country, instrument: v.instrument, skill: v.skill, name: v.name, city: v.city };
        if (!ch.identified) {
          ch.identified = true;
          const fmt = ch.audio?.format;
          ch.fade.start((fmt?.frameSamples ?? 128) as 64 | 128, fmt?.factor ?? 1);
        }
        if (changed) this.broadcastClientList();
        return;
      }
      case 'REQ_CONN_CLIENTS_LIST':
        ch.link.sendMessage('CONN_CLIENTS_LIST', { clients: this.clientList() }, now);
        return;
      case 'CHAT_TEXT': {
        const text = m.value.text;
        const html = fitChat(ch.id, ch.info.name, text);
        for (const other of this.slots) if (other?.confirmed) other.link.sendMessage('CHAT_TEXT', { text: html }, now);
        this.emit({ event: 'chatMessageReceived', id: ch.id, chatMessage: text });
        return;
      }
      default:
        // SPLIT_MESS_SUPPORTED is handled inside the link; REQ_CHANNEL_LEVEL_LIST is obsolete for 3.6+ servers;
        // anything else a client may send has no server-side meaning.
        return;
    }
  }

  private clientList(): ClientListEntry[] {
    const list: ClientListEntry[] = [];
    for (const ch of this.slots) {
      if (ch?.confirmed) list.push({ channelId: ch.id, ...ch.info });
    }
    return list;
  }

  private broadcastClientList(): void {
    const clients = this.clientList();
    const now = performance.now();
    for (const ch of this.slots) if (ch?.confirmed) ch.link.sendMessage('CONN_CLIENTS_LIST', { clients }, now);
    this.emit({ event: 'clientListChanged' });
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
    const mixer = this.mixer;

    // Time-outs first: a freed channel takes no part in this tick.
    for (let i = 0; i < slots.length; i++) {
      const ch = slots[i];
      if (!ch) continue;
      ch.timeoutSamples -= T;
      if (ch.timeoutSamples <= 0) {
        if (!ch.confirmed) this.drops.countFrom('probation-timeout', ch.addr, ch.port, 'never confirmed');
        this.free(ch);
      }
    }

    // Inputs: every channel with a format drains its jitter buffer so it keeps flowing; only identified
    // channels are heard, and recorded.
    const tap = this.tap !== null && this.tap.beginTick(T) ? this.tap : null;
    for (let i = 0; i < slots.length; i++) {
      const ch = slots[i];
      if (!ch) continue;
      const a = ch.audio;
      if (!a) continue;
      const ch2 = a.format.channels as 1 | 2;
      let pcm: Int16Array;
      if (a.format.frameSamples === T) {
        if (a.decodeNext(a.input)) ch.underruns++;
        pcm = a.input;
      } else if (T === 128) {
        if (a.decodeNext(a.inputHalves[0])) ch.underruns++;
        if (a.decodeNext(a.inputHalves[1])) ch.underruns++;
        pcm = a.input;
      } else {
        if (a.phase === 0 && a.decodeNext(a.convIn)) ch.underruns++;
        pcm = a.convInHalves[a.phase]!;
      }
      if (a.sizeChanged) {
        a.sizeChanged = false;
        ch.link.sendMessage('JITT_BUF_SIZE', { blocks: a.receiver.size }, now);
      }
      a.current = pcm;
      if (ch.identified && ch.confirmed) {
        mixer.setInput(ch.id, pcm, ch2);
        mixer.setFade(ch.id, ch.fade.value);
        tap?.add(ch.id, ch2, pcm);
      }
    }
    tap?.endTick();

    this.levelCounter += T / 64;
    if (this.levelCounter > LEVEL_INTERVAL_64) {
      this.levelCounter = 0;
      this.sendLevels();
    }

    // Outputs: one personal mix per identified channel, encoded in the client's own format.
    for (let i = 0; i < slots.length; i++) {
      const ch = slots[i];
      if (!ch) continue;
      const a = ch.audio;
      if (a && ch.identified && ch.confirmed) {
        const ch2 = a.format.channels as 1 | 2;
        if (a.format.frameSamples === T) {
          mixer.mixFor(ch.id, ch2, a.mix);
          this.sendFrame(ch, a, a.mix);
        } else if (T === 128) {
          mixer.mixFor(ch.id, ch2, a.mix);
          this.sendFrame(ch, a, a.mixHalves[0]);
          this.sendFrame(ch, a, a.mixHalves[1]);
        } else {
          mixer.mixFor(ch.id, ch2, a.convOutHalves[a.phase]!);
          if (a.phase === 1) this.sendFrame(ch, a, a.convOut);
        }
      }
      if (a) a.phase ^= 1;
      ch.link.poll(now);
    }
  }

  private sendFrame(ch: Channel, a: ChannelAudio, pcm: Int16Array): void {
    const packet = a.encodeFrame(pcm);
    if (packet) {
      this.stats.audioPacketsOut++;
      this.send.audio(packet, packet.length, ch.addr, ch.port);
    }
  }

  private sendLevels(): void {
    const levels: number[] = [];
    for (const ch of this.slots) {
      if (!ch?.confirmed) continue;
      const a = ch.audio;
      ch.level = a && ch.identified ? ch.meter.update(a.current, this.frameSamples, a.format.channels as 1 | 2) : 0;
      levels.push(ch.level);
    }
    if (levels.length === 0) return;
    const bytes = encodeMessage('CLM_CHANNEL_LEVEL_LIST', { levels }, 0);
    for (const ch of this.slots) if (ch?.confirmed) this.send.control(bytes, ch.addr, ch.port);
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

/** The chat line as HTML, shortened so that it fits what clients accept (1800 UTF-16 units). */
function fitChat(id: number, name: string, text: string): string {
  let t = text;
  let html = chatLineHtml(id, name, t);
  while (html.length > LIMITS.chat && t.length > 0) {
    t = t.slice(0, Math.max(0, t.length - (html.length - LIMITS.chat)));
    html = chatLineHtml(id, name, t);
  }
  return html;
}
