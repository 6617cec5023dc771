// The client's real-time half, run in a worker thread whose loop (engine-worker.ts) owns the thread: one
// native UDP socket, the protocol link to the server, the codec and jitter buffer, and the ALSA device whose
// capture periods pace everything (the device is the clock). Each loop turn blocks in wait() — on the
// device's capture signal, or on the socket and a deadline while there is no device — then runTurn()
// drains the socket, handles the captured periods, runs the timers that are due and sends everything in one
// sendmmsg. While the device is gone the loop sleeps to period deadlines instead and sends silence, so the
// session survives an unplugged interface. Nothing here uses Node timers: the loop never returns to the
// event loop except while a DNS lookup is pending (needsEventLoop). Connection handling follows §5.
import { performance } from 'node:perf_hooks';
import {
  LIMITS,
  ProtocolLink,
  isProtocolFrame,
  encodeMessage,
  type ReceivedMessage,
} from '../protocol/index.js';
import { AUTO_JITTER_BLOCKS } from '../audio/jitter-buffer.js';
import { overallDelayMs } from '../audio/overall-delay.js';
import { tickPeriodNs } from '../audio/tick-timer.js';
import { endpointText, monotonicNowNs, type NativeUdpSocket } from '../net/udp-socket.js';
import type { InputSelection } from '../audio/alsa-device.js';
import { ClientAudio, clientFormat } from './client-audio.js';
import { ClientDevice } from './client-device.js';
import { MixSync, mixTargets } from './personal-mix.js';
import { literalServerHost, parseServerAddress, resolveServerHost, type ServerAddress } from './server-address.js';
import type { ClientEngineOptions, ClientProfile, ClientStats, ConnectionState, RemoteClient } from './client-options.js';
import {
  CONNECT_TIMEOUT_MS,
  DISCONNECT_GRACE_MS,
  GAIN_DELAY_MS,
  HOUSEKEEPING_MS,
  PAN_SINCE,
  PING_INTERVAL_MS,
  RETRY_INITIAL_MS,
  RETRY_MAX_MS,
  SEQUENCE_SINCE,
  SERVER_SILENCE_MS,
  STRAY_REPLY_MS,
  versionAtLeast,
} from './client-facts.js';

export type ClientEngineEvent =
  | { event: 'connected'; server: string }
  | { event: 'clientId'; id: number }
  | { event: 'disconnected'; reason: string }
  | { event: 'attemptFailed'; server: string; reason: string; retryInMs: number }
  | { event: 'clientList'; clients: RemoteClient[] }
  | { event: 'levels'; levels: number[] }
  | { event: 'chat'; text: string }
  | { event: 'device'; state: 'running' | 'lost' | 'stopped'; error: string | null };

/** Periods of a burst that are played; the older ones are dropped (see onDevicePeriods). */
const PLAYBACK_BURST_PERIODS = 2;

/** Options whose change needs a new device, format or server: a clean reconnect. */
const RESTART_KEYS = ['server', 'device', 'frames', 'quality', 'channels'] as const;

/** Deadlines the fallback clock may fall behind before it gives up catching up (a stalled thread). */
const FALLBACK_MAX_CATCH_UP = 8;
/** A ping unanswered for this long no longer makes the loop wake for every datagram. */
const PING_WAKE_MS = 1000;
/**
 * Longest single wait, so requests from the main thread (taken between waits) are answered within it even
 * when no period wakes the loop: a device that delivers nothing (ALSA's null PCM, a stalled plugin) or
 * none at all once left the admin's /client page waiting about 1 s per JSON-RPC call.
 */
const REQUEST_POLL_MS = 20;

const CLM_DISCONNECTION = encodeMessage('CLM_DISCONNECTION', {}, 0);

/** Something to do later on the loop's thread (it has no Node timers). */
interface Scheduled {
  atMs: number;
  run: () => void;
  /** Also run (early) when the engine stops: a goodbye to a server must still go out. */
  onStop: boolean;
}

export class ClientEngine {
  private opts: ClientEngineOptions;
  private readonly socket: NativeUdpSocket;
  /** One view per receive slot, made once: handing a datagram on allocates nothing. */
  private readonly slotViews: Uint8Array[] = [];
  private readonly slotBytes: number;
  private readonly link: ProtocolLink;
  private device: ClientDevice | null = null;
  private audio!: ClientAudio;
  /** Capture of a mono input before it is doubled for mono-in/stereo-out. */
  private monoIn!: Int16Array;
  /** Decoded mix plus the local own signal (mute-myself monitoring). */
  private monitor!: Int16Array;
  private inputSelection: InputSelection = 'input1';

  private state: ConnectionState = 'disconnected';
  private server: ServerAddress | null = null;
  private serverIp: string | null = null;
  /** serverIp as the socket reports addresses (host-order uint32), -1 outside a session. */
  private serverAddr = -1;
  private serverPort = 0;
  /** The server of the last session: its stray audio is answered with CLM_DISCONNECTION. */
  private formerServer: { addr: number; port: number } | null = null;
  /** Bumped for every attempt, so a late DNS answer of an abandoned attempt is ignored. */
  private attempt = 0;
  /** DNS lookups in flight: their answers come through the event loop, which the loop then visits. */
  private pendingLookups = 0;
  private attemptDeadline = 0;
  private retryAt = 0;
  private backoffMs = RETRY_INITIAL_MS;
  private lastAudioAt = 0;
  private lastStrayReplyAt = 0;
  private lastPingAt = 0;
  /** A ping is out and unanswered: the loop then wakes for datagrams, so the round trip is not rounded up to a period. */
  private pingOutstanding = false;
  private readonly pingValue = { timeMs: 0 };
  private pingMs: number | null = null;
  private serverVersion: string | null = null;
  private serverJitterBlocks = 6;
  private ownId: number | null = null;
  private clients: RemoteClient[] = [];
  private readonly mixSync = new MixSync();
  private mixDirty = false;
  private lastMixAt = -Infinity;
  private deviceState: 'running' | 'lost' | 'stopped' = 'stopped';
  private nextHousekeepingAt = 0;
  private readonly scheduled: Scheduled[] = [];
  /** CLOCK_MONOTONIC ns of the fallback clock's next period; 0 while the device paces (or nothing needs audio). */
  private fallbackDeadlineNs = 0;
  /** Periods the last wait() saw waiting in the capture ring. */
  private captured = 0;
  private readonly epoch = performance.now();
  private fallbackPeriods = 0;
  private reconnects = 0;
  private lastError: string | null = null;
  private strangers = 0;
  private stopped = false;

  constructor(
    options: ClientEngineOptions,
    private readonly emit: (e: ClientEngineEvent) => void,
    socket: NativeUdpSocket,
  ) {
    this.opts = options;
    this.socket = socket;
    const slot = socket.slotBytes;
    this.slotBytes = slot;
    for (let i = 0; i < socket.maxBatch; i++) this.slotViews.push(socket.recvData.subarray(i * slot, (i + 1) * slot));
    this.link = new ProtocolLink({
      send: (bytes) => this.sendToServer(bytes),
      onMessage: (m) => this.onMessage(m),
      onDrop: (reason, error) => {
        this.lastError = `${reason}: ${error}`;
      },
    });
    this.setUpAudio();
  }

  /** Opens the device and, if configured, starts connecting. */
  start(): void {
    this.nextHousekeepingAt = this.now() + HOUSEKEEPING_MS;
    this.openDevice();
    if (this.opts.autoConnect) this.connect();
  }

  /**
   * Disconnects cleanly (blocking the thread for the ~100 ms grace, which no longer matters), sends
   * every goodbye still scheduled, closes the device and the socket.
   */
  stop(): void {
    if (this.stopped) return;
    this.disconnect();
    const goodbyes = this.scheduled.filter((s) => s.onStop).sort((a, b) => a.atMs - b.atMs);
    this.scheduled.length = 0;
    for (const s of goodbyes) {
      const waitMs = s.atMs - this.now();
      if (waitMs > 0) this.socket.sleepUntil(monotonicNowNs() + waitMs * 1e6, false);
      s.run();
    }
    this.socket.flush();
    this.stopped = true;
    this.fallbackDeadlineNs = 0;
    this.device?.close();
    this.device = null;
  }

  /** True while a DNS answer is awaited: the loop must then let the event loop run between turns. */
  get needsEventLoop(): boolean {
    return this.pendingLookups > 0;
  }

  // ---- the loop (engine-worker.ts): wait(), runTurn(), then the main thread's requests, then flush() ----

  /**
   * Blocks the thread until there is work: captured periods while the device paces; the next period
   * deadline of the fallback clock while a session has no device; a datagram when one is awaited (an
   * answer to a ping, or anything while idle); at the latest the next timer (housekeeping, scheduled sends).
   */
  wait(): void {
    const now = this.now();
    const untilMs = Math.min(REQUEST_POLL_MS, Math.max(0, this.nextTimerAt() - now));
    const wakeOnDatagram = this.pingOutstanding && now - this.lastPingAt < PING_WAKE_MS;
    const dev = this.device;
    this.captured = 0;
    if (this.fallbackDeadlineNs > 0) {
      this.socket.sleepUntil(Math.min(this.fallbackDeadlineNs, monotonicNowNs() + untilMs * 1e6), wakeOnDatagram);
    } else if (dev !== null && this.deviceState === 'running') {
      this.captured = dev.wait(wakeOnDatagram ? this.socket.fd : -1, untilMs);
    } else {
      this.socket.waitReadable(untilMs);
    }
  }

  /** Everything that is due after a wait: datagrams, device periods, fallback periods, timers. Sends at the end. */
  runTurn(): void {
    const now = this.now();
    // A bug reached by some input costs that input, not the session: counted, the loop goes on.
    // (Inline try blocks: a closure per step would be an allocation per period.)
    try {
      this.receiveAll(now);
    } catch (e) {
      this.internalError('receive', e);
    }
    try {
      if (this.device !== null) this.onDevicePeriods(this.captured);
      if (this.fallbackDeadlineNs > 0) this.runFallback();
    } catch (e) {
      this.internalError('audio', e);
    }
    if (now >= this.nextHousekeepingAt) {
      this.nextHousekeepingAt += HOUSEKEEPING_MS;
      if (this.nextHousekeepingAt <= now) this.nextHousekeepingAt = now + HOUSEKEEPING_MS;
      try {
        this.tickHousekeeping();
      } catch (e) {
        this.internalError('housekeeping', e);
      }
    }
    if (this.scheduled.length > 0) {
      try {
        this.runScheduled(now);
      } catch (e) {
        this.internalError('timer', e);
      }
    }
    this.socket.flush();
  }

  /** Sends what requests from the main thread queued. */
  flush(): void {
    this.socket.flush();
  }

  private internalError(where: string, e: unknown): void {
    this.lastError = `internal error (${where}): ${(e as Error).message}`;
  }

  private nextTimerAt(): number {
    let t = this.nextHousekeepingAt;
    for (const s of this.scheduled) if (s.atMs < t) t = s.atMs;
    return t;
  }

  private schedule(delayMs: number, run: () => void, onStop = false): void {
    this.scheduled.push({ atMs: this.now() + delayMs, run, onStop });
  }

  private runScheduled(now: number): void {
    for (let i = 0; i < this.scheduled.length; ) {
      const s = this.scheduled[i]!;
      if (s.atMs > now) {
        i++;
        continue;
      }
      this.scheduled.splice(i, 1);
      s.run();
    }
  }

  // ---- control (from the main thread through the worker bridge) ----

  /** Starts a session with the configured server, or with `server` (which then becomes the configured one). */
  connect(server?: string): void {
    if (server !== undefined) {
      parseServerAddress(server);
      this.opts = { ...this.opts, server };
    }
    if (this.inSession()) this.endSession();
    this.backoffMs = RETRY_INITIAL_MS;
    this.startAttempt();
  }

  /**
   * Clean disconnect: audio stops now, CLM_DISCONNECTION follows after ~100 ms; no reconnection.
   * `done` runs once that went out (at once when there is nobody to tell).
   */
  disconnect(done?: () => void): void {
    const was = this.state;
    if (was === 'disconnected') {
      done?.();
      return;
    }
    const target = this.serverAddr >= 0 ? { addr: this.serverAddr, port: this.serverPort } : null;
    this.endSession();
    this.state = 'disconnected';
    this.updatePacing();
    if (was === 'connected') this.emit({ event: 'disconnected', reason: 'disconnected by request' });
    if (target && (was === 'connected' || was === 'connecting')) {
      this.schedule(
        DISCONNECT_GRACE_MS,
        () => {
          this.sendRaw(CLM_DISCONNECTION, target.port, target.addr);
          done?.();
        },
        true,
      );
    } else {
      done?.();
    }
  }

  configure(next: ClientEngineOptions): void {
    const prev = this.opts;
    this.opts = next;
    const restart = RESTART_KEYS.some((k) => prev[k] !== next[k]);
    if (restart) {
      const wasActive = this.state !== 'disconnected';
      this.disconnect(() => {
        if (this.stopped) return;
        if (prev.device !== next.device || prev.frames !== next.frames) this.openDevice();
        this.setUpAudio();
        if (next.autoConnect || wasActive) this.connect();
      });
      return;
    }
    this.setInputSelection();
    if (prev.jitterAuto !== next.jitterAuto || prev.jitterSize !== next.jitterSize) this.applyJitterSetting();
    if (!sameProfile(prev.profile, next.profile)) this.sendProfile();
    this.requestMixSync();
    if (!next.autoConnect && prev.autoConnect) this.disconnect();
    else if (next.autoConnect && !prev.autoConnect && this.state === 'disconnected') this.connect();
  }

  setProfile(patch: Partial<ClientProfile>): ClientProfile {
    this.opts = { ...this.opts, profile: { ...this.opts.profile, ...patch } };
    this.sendProfile();
    return this.opts.profile;
  }

  setMix(mix: ClientEngineOptions['mix']): void {
    this.opts = { ...this.opts, mix };
    this.requestMixSync();
  }

  setMuted(muted: boolean): void {
    this.opts = { ...this.opts, muteMyself: muted };
  }

  /** Chat text as typed (plain); false when not connected. */
  sendChat(text: string): boolean {
    if (this.state !== 'connected') return false;
    this.link.sendMessage('CHAT_TEXT', { text: text.slice(0, LIMITS.chatTyped) }, this.now());
    return true;
  }

  isConnected(): boolean {
    return this.state === 'connected';
  }

  getProfile(): ClientProfile {
    return this.opts.profile;
  }

  getClients(): RemoteClient[] {
    return this.clients;
  }

  getStats(): ClientStats {
    const a = this.audio;
    const d = this.device?.stats();
    const clientBlocks = a.jitter.size;
    const serverBlocks = this.opts.jitterAuto ? this.serverJitterBlocks : this.opts.jitterSize;
    const delay =
      this.pingMs === null || this.state !== 'connected'
        ? null
        : overallDelayMs({
            pingMs: this.pingMs,
            codecFrameSamples: a.format.frameSamples,
            packetFillSamples: this.opts.frames,
            clientJitterBlocks: clientBlocks,
            serverJitterBlocks: serverBlocks,
            soundCardPeriodSamples: this.opts.frames,
          });
    return {
      state: this.state,
      server: this.state === 'disconnected' ? null : (this.server?.label ?? this.opts.server),
      serverAddress: this.serverIp && this.server ? endpointText(this.serverIp, this.server.port) : null,
      ownChannelId: this.ownId,
      serverVersion: this.serverVersion,
      pingMs: this.state === 'connected' ? this.pingMs : null,
      overallDelayMs: delay,
      codec: this.opts.frames === 64 ? 'OPUS64' : 'OPUS',
      frames: this.opts.frames,
      channels: this.opts.channels,
      codedBytes: a.format.codedBytes,
      sequence: a.format.sequence,
      clientJitterBlocks: clientBlocks,
      serverJitterBlocks: serverBlocks,
      jitterAuto: this.opts.jitterAuto,
      muted: this.opts.muteMyself,
      device: {
        name: this.opts.device,
        state: d?.state ?? 'stopped',
        error: d?.error ?? null,
        xruns: d?.xruns ?? 0,
        captureOverruns: d?.captureOverruns ?? 0,
        playbackUnderruns: d?.playbackUnderruns ?? 0,
        reopens: d?.reopens ?? 0,
        realtime: d?.realtime ?? false,
        paced: d?.paced ?? false,
        captureChannels: this.device?.captureChannels ?? 0,
        playbackChannels: this.device?.playbackChannels ?? 0,
      },
      audioPacketsOut: a.packetsOut,
      audioPacketsIn: a.packetsIn,
      audioDropped: a.wrongSize + this.strangers,
      jitterUnderruns: a.underruns,
      fallbackPeriods: this.fallbackPeriods,
      reconnects: this.reconnects,
      lastError: this.lastError ?? this.socket.stats().lastError,
      protocolDrops: { ...this.link.stats.drops },
    };
  }

  // ---- audio: one call per device period (or fallback period) ----

  /**
   * After a stall the device hands over a burst of periods. All are encoded and decoded (the server
   * and the jitter buffer stay in step) but only the newest are played: the playback ring already
   * played silence for the stall, and queueing the whole burst would add its length to the delay for good.
   */
  private onDevicePeriods(periods: number): void {
    const dev = this.device;
    if (!dev) return;
    let waiting = Math.max(periods, 1);
    while (dev.read()) {
      this.period(dev, waiting <= PLAYBACK_BURST_PERIODS);
      if (waiting > 1) waiting--;
    }
  }

  /** Periods of silence for the deadlines that passed; a thread stalled for long does not replay them all. */
  private runFallback(): void {
    const nowNs = monotonicNowNs();
    if (nowNs < this.fallbackDeadlineNs) return;
    const periodNs = tickPeriodNs(this.opts.frames);
    const due = Math.floor((nowNs - this.fallbackDeadlineNs) / periodNs) + 1;
    this.fallbackDeadlineNs += due * periodNs;
    for (let i = 0; i < due && i < FALLBACK_MAX_CATCH_UP; i++) {
      this.fallbackPeriods++;
      this.period(null);
    }
  }

  /** Encode and send one period of input, play one period of the server's mix. Allocates nothing. */
  private period(dev: ClientDevice | null, play = true): void {
    const a = this.audio;
    const stereoStream = a.format.channels === 2;
    if (dev) {
      if (this.opts.channels === 'mono-stereo') {
        dev.mapInput(this.inputSelection, this.monoIn);
        const m = this.monoIn;
        const s = a.send;
        for (let i = 0; i < m.length; i++) s[2 * i] = s[2 * i + 1] = m[i]!;
      } else {
        dev.mapInput(this.inputSelection, a.send);
      }
    } else {
      a.send.fill(0);
    }
    const state = this.state;
    if ((state === 'connecting' || state === 'connected') && this.serverAddr >= 0) {
      const packet = a.encode(this.opts.muteMyself ? a.silence : a.send);
      this.sendRaw(packet, this.serverPort, this.serverAddr);
    }
    if (!dev) return;
    let out = a.silence;
    if (state === 'connected') {
      if (a.decodeNext(this.opts.jitterAuto) && this.opts.jitterAuto) a.jitter.setSize(a.auto.currentSize);
      out = a.received;
    }
    // Muted towards the others, the musician still hears themself: mixed in here, as Jamulus's GUI does.
    if (this.opts.muteMyself && this.opts.hearOwnSignal) {
      const mon = this.monitor;
      const s = a.send;
      for (let i = 0; i < mon.length; i++) {
        const v = out[i]! + s[i]!;
        mon[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      out = mon;
    }
    if (play) dev.play(out, stereoStream ? 2 : 1);
  }

  // ---- network ----

  private receiveAll(now: number): void {
    const socket = this.socket;
    const views = this.slotViews;
    const lengths = socket.recvLengths;
    const addrs = socket.recvAddrs;
    const ports = socket.recvPorts;
    const slot = this.slotBytes;
    const batch = this.slotViews.length;
    for (;;) {
      const n = socket.receive();
      for (let i = 0; i < n; i++) {
        // A truncated datagram keeps its slot length: it then fails every size and CRC check and is counted.
        const len = lengths[i]! > slot ? slot : lengths[i]!;
        this.onDatagram(views[i]!, len, addrs[i]!, ports[i]!, now);
      }
      if (n < batch) return;
    }
  }

  private onDatagram(msg: Uint8Array, length: number, addr: number, port: number, now: number): void {
    if (addr !== this.serverAddr || port !== this.serverPort) {
      const f = this.formerServer;
      if (f && f.addr === addr && f.port === port && !isProtocolFrame(msg, length)) {
        // Like the reference: a server still streaming to us is told we left.
        if (now - this.lastStrayReplyAt >= STRAY_REPLY_MS) {
          this.lastStrayReplyAt = now;
          this.sendRaw(CLM_DISCONNECTION, port, addr);
        }
        return;
      }
      this.strangers++;
      return;
    }
    // serverAddr is only set while a session is on.
    if (isProtocolFrame(msg, length)) {
      this.link.receive(msg, now, length);
      return;
    }
    if (!this.audio.put(msg, length, this.opts.jitterAuto)) return;
    this.lastAudioAt = now;
    if (this.state === 'connecting') this.becomeConnected(now);
  }

  private becomeConnected(now: number): void {
    this.state = 'connected';
    this.backoffMs = RETRY_INITIAL_MS;
    this.lastPingAt = -Infinity;
    // §5.2: what the reference sends when the first server audio arrives.
    this.sendProfile();
    this.link.sendMessage('REQ_CONN_CLIENTS_LIST', {}, now);
    this.link.sendMessage('JITT_BUF_SIZE', { blocks: this.jitterWireValue() }, now);
    this.link.sendMessage('REQ_CHANNEL_LEVEL_LIST', { optIn: true }, now);
    this.emit({ event: 'connected', server: this.server!.label });
  }

  private onMessage(m: ReceivedMessage): void {
    const now = this.now();
    switch (m.name) {
      case 'CLIENT_ID': {
        // A CLIENT_ID while channels are known means the server restarted: forget its old ids.
        this.ownId = m.value.channelId;
        this.clients = [];
        this.mixSync.reset();
        this.requestMixSync();
        this.emit({ event: 'clientId', id: m.value.channelId });
        return;
      }
      case 'REQ_NETW_TRANSPORT_PROPS':
        this.link.sendMessage('NETW_TRANSPORT_PROPS', this.audio.props, now);
        return;
      case 'REQ_JITT_BUF_SIZE':
        this.link.sendMessage('JITT_BUF_SIZE', { blocks: this.jitterWireValue() }, now);
        return;
      case 'REQ_CHANNEL_INFOS':
        this.sendProfile();
        return;
      case 'VERSION_AND_OS': {
        this.serverVersion = m.value.version;
        if (!this.audio.format.sequence && versionAtLeast(m.value.version, SEQUENCE_SINCE)) {
          this.setUpAudio(true);
          this.link.sendMessage('NETW_TRANSPORT_PROPS', this.audio.props, now);
        }
        return;
      }
      case 'JITT_BUF_SIZE':
        if (m.value.blocks >= 1 && m.value.blocks <= 20) this.serverJitterBlocks = m.value.blocks;
        return;
      case 'CONN_CLIENTS_LIST': {
        const list = m.value.clients.map((c) => ({
          id: c.channelId,
          name: c.name,
          country: c.country,
          instrument: c.instrument,
          skill: c.skill,
          city: c.city,
        }));
        // The empty list on a new connection tells the client the server reset its mix.
        if (list.length === 0) this.mixSync.reset();
        this.clients = list;
        this.requestMixSync();
        this.emit({ event: 'clientList', clients: list });
        return;
      }
      case 'CHAT_TEXT':
        this.emit({ event: 'chat', text: m.value.text });
        return;
      case 'CLM_PING_MS': {
        this.pingOutstanding = false;
        const rtt = ((this.clock32() - m.value.timeMs) >>> 0) & 0xffffffff;
        if (rtt < 60000) this.pingMs = rtt;
        return;
      }
      case 'CLM_CHANNEL_LEVEL_LIST':
        this.emit({ event: 'levels', levels: m.value.levels });
        return;
      case 'CLM_DISCONNECTION':
        this.lose('the server ended the session');
        return;
      case 'CLM_SERVER_FULL':
        if (this.state === 'connecting') this.lose('the server is full');
        return;
      default:
        // OPUS_SUPPORTED, LICENCE_REQUIRED, RECORDER_STATE, MUTE_STATE_CHANGED, split negotiation: nothing to do.
        return;
    }
  }

  private sendToServer(bytes: Uint8Array): void {
    if (this.serverAddr < 0) return;
    this.sendRaw(bytes, this.serverPort, this.serverAddr);
  }

  /** Queued for the turn's one sendmmsg; a full queue (a burst of periods) is sent first. */
  private sendRaw(bytes: Uint8Array, port: number, addr: number): void {
    if (this.stopped) return;
    const s = this.socket;
    if (!s.queue(bytes, 0, bytes.length, addr, port) && bytes.length <= this.slotBytes && s.queued > 0) {
      s.flush();
      s.queue(bytes, 0, bytes.length, addr, port);
    }
  }

  // ---- connection state machine ----

  private inSession(): boolean {
    return this.state === 'connecting' || this.state === 'connected';
  }

  private startAttempt(): void {
    let server: ServerAddress;
    try {
      server = parseServerAddress(this.opts.server);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.state = 'disconnected';
      this.emit({ event: 'attemptFailed', server: this.opts.server, reason: (e as Error).message, retryInMs: -1 });
      return;
    }
    const attempt = ++this.attempt;
    this.server = server;
    this.state = 'connecting';
    this.attemptDeadline = this.now() + CONNECT_TIMEOUT_MS;
    let ip: string | null;
    try {
      ip = literalServerHost(server.host);
    } catch (e) {
      this.lose((e as Error).message);
      return;
    }
    if (ip !== null) {
      this.beginAttempt(attempt, ip);
      return;
    }
    // A name: the answer comes through the event loop, which the worker loop visits until it is in.
    this.pendingLookups++;
    resolveServerHost(server.host)
      .then(
        (resolved) => {
          if (attempt !== this.attempt || this.state !== 'connecting') return;
          this.beginAttempt(attempt, resolved);
        },
        (e: Error) => {
          if (attempt !== this.attempt || this.state !== 'connecting') return;
          this.lose(`cannot resolve ${server.host}: ${e.message}`);
        },
      )
      .finally(() => {
        this.pendingLookups--;
        // Called from the event loop, after the turn's flush: send what the answer queued now.
        this.socket.flush();
      });
  }

  /** The server's address is known: reset everything per-session and announce the format. */
  private beginAttempt(attempt: number, ip: string): void {
    if (attempt !== this.attempt || this.state !== 'connecting') return;
    let addr: number;
    try {
      // IPv4 as itself; IPv6 as the socket's pinned peer id (a dual-stack socket is needed).
      addr = this.socket.peerId(ip);
    } catch (e) {
      this.lose(`cannot reach ${ip}: ${(e as Error).message}`);
      return;
    }
    this.serverIp = ip;
    this.serverAddr = addr;
    this.serverPort = this.server!.port;
    this.formerServer = null;
    this.link.reset();
    this.ownId = null;
    this.clients = [];
    this.mixSync.reset();
    this.serverVersion = null;
    this.pingMs = null;
    this.pingOutstanding = false;
    this.setUpAudio(false);
    this.attemptDeadline = this.now() + CONNECT_TIMEOUT_MS;
    this.link.sendMessage('NETW_TRANSPORT_PROPS', this.audio.props, this.now());
    this.updatePacing();
  }

  /** Leaves the current session without notifying anybody (link state, server address). */
  private endSession(): void {
    this.attempt++;
    if (this.serverAddr >= 0) this.formerServer = { addr: this.serverAddr, port: this.serverPort };
    this.link.reset();
    this.serverIp = null;
    this.serverAddr = -1;
    this.serverPort = 0;
    this.ownId = null;
    this.clients = [];
    this.mixSync.reset();
    this.pingMs = null;
    this.pingOutstanding = false;
  }

  /** Server lost or attempt failed: stop audio, say goodbye, retry after the back-off. */
  private lose(reason: string): void {
    const wasConnected = this.state === 'connected';
    const target = this.serverAddr >= 0 ? { addr: this.serverAddr, port: this.serverPort } : null;
    this.endSession();
    this.state = 'retrying';
    this.lastError = reason;
    const wait = this.backoffMs;
    this.retryAt = this.now() + wait;
    this.backoffMs = Math.min(RETRY_MAX_MS, this.backoffMs * 2);
    this.reconnects++;
    this.updatePacing();
    if (target) {
      // A server that is merely unreachable for a while frees our old channel and starts clean next time.
      this.schedule(DISCONNECT_GRACE_MS, () => this.sendRaw(CLM_DISCONNECTION, target.port, target.addr), true);
    }
    if (wasConnected) this.emit({ event: 'disconnected', reason });
    this.emit({ event: 'attemptFailed', server: this.server?.label ?? this.opts.server, reason, retryInMs: wait });
  }

  private tickHousekeeping(): void {
    const now = this.now();
    this.watchDevice();
    switch (this.state) {
      case 'connecting':
        this.link.poll(now);
        if (now > this.attemptDeadline) this.lose(`no answer from ${this.server?.label ?? this.opts.server}`);
        return;
      case 'connected':
        this.link.poll(now);
        if (now - this.lastAudioAt > SERVER_SILENCE_MS) {
          this.lose(`no audio from the server for ${SERVER_SILENCE_MS / 1000} s`);
          return;
        }
        if (now - this.lastPingAt >= PING_INTERVAL_MS) {
          this.lastPingAt = now;
          this.pingOutstanding = true;
          this.pingValue.timeMs = this.clock32();
          this.link.sendClm('CLM_PING_MS', this.pingValue);
        }
        if (this.mixDirty) this.flushMix(now);
        return;
      case 'retrying':
        if (now >= this.retryAt) this.startAttempt();
        return;
      default:
        return;
    }
  }

  // ---- personal mix, profile, jitter ----

  private requestMixSync(): void {
    this.mixDirty = true;
    if (this.state === 'connected' || (this.state === 'connecting' && this.ownId !== null)) this.flushMix(this.now());
  }

  /** The first change goes out at once, later ones are coalesced (DEFAULT_GAIN_DELAY_PERIOD_MS). */
  private flushMix(now: number): void {
    const delay = this.pingMs !== null && this.pingMs >= 25 ? 2 * this.pingMs : GAIN_DELAY_MS;
    if (now - this.lastMixAt < delay) return;
    this.mixDirty = false;
    this.lastMixAt = now;
    const targets = mixTargets({ clients: this.clients, ownId: this.ownId, mix: this.opts.mix, hearOwnSignal: this.opts.hearOwnSignal });
    const pans = this.serverVersion === null || versionAtLeast(this.serverVersion, PAN_SINCE);
    for (const msg of this.mixSync.plan(targets)) {
      if (msg.kind === 'gain') this.link.sendMessage('CHANNEL_GAIN', { channelId: msg.channelId, gain: msg.value }, now);
      else if (pans) this.link.sendMessage('CHANNEL_PAN', { channelId: msg.channelId, pan: msg.value }, now);
    }
  }

  private sendProfile(): void {
    if (!this.inSession() || this.serverAddr < 0) return;
    const p = this.opts.profile;
    this.link.sendMessage(
      'CHANNEL_INFOS',
      {
        country: p.country,
        instrument: p.instrument,
        skill: p.skill,
        name: p.name.slice(0, LIMITS.name),
        city: p.city.slice(0, LIMITS.city),
      },
      this.now(),
    );
  }

  private jitterWireValue(): number {
    return this.opts.jitterAuto ? AUTO_JITTER_BLOCKS : this.opts.jitterSize;
  }

  private applyJitterSetting(): void {
    const a = this.audio;
    a.jitter.setSize(this.opts.jitterAuto ? a.auto.currentSize : this.opts.jitterSize);
    if (this.inSession() && this.serverAddr >= 0) this.link.sendMessage('JITT_BUF_SIZE', { blocks: this.jitterWireValue() }, this.now());
  }

  // ---- device and pacing ----

  private openDevice(): void {
    this.device?.close();
    this.device = new ClientDevice(this.opts.device, this.opts.frames);
    this.deviceState = 'stopped';
    this.watchDevice();
  }

  private watchDevice(): void {
    // The state alone (no stats object) 40 times a second; the full stats only when it changed.
    const state = this.device?.state ?? 'stopped';
    if (state !== this.deviceState) {
      this.deviceState = state;
      this.emit({ event: 'device', state, error: this.device?.stats().error ?? null });
      this.updatePacing();
    }
  }

  /** The fallback clock runs only while a session needs audio and the device cannot pace it. */
  private updatePacing(): void {
    const need = this.inSession() && this.deviceState !== 'running' && !this.stopped;
    if (need && this.fallbackDeadlineNs === 0) this.fallbackDeadlineNs = monotonicNowNs() + tickPeriodNs(this.opts.frames);
    else if (!need) this.fallbackDeadlineNs = 0;
  }

  private setUpAudio(sequence = false): void {
    const o = this.opts;
    this.audio = new ClientAudio(clientFormat(o.frames, o.channels, o.quality, sequence), o.jitterAuto, o.jitterSize);
    this.monoIn = new Int16Array(o.frames);
    this.monitor = new Int16Array(o.frames * this.audio.format.channels);
    this.setInputSelection();
  }

  private setInputSelection(): void {
    const o = this.opts;
    this.inputSelection = o.channels === 'stereo' ? 'stereo' : o.monoInput === 2 ? 'input2' : 'input1';
  }

  private now(): number {
    return performance.now();
  }

  /** Jamulus's ping clock: milliseconds since start, wrapping at 2³². */
  private clock32(): number {
    return Math.floor(performance.now() - this.epoch) >>> 0;
  }
}

function sameProfile(a: ClientProfile, b: ClientProfile): boolean {
  return a.name === b.name && a.country === b.country && a.instrument === b.instrument && a.city === b.city && a.skill === b.skill;
}
