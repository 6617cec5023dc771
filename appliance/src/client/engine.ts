// The client's real-time half, run in a worker thread (engine-worker.ts): one UDP socket, the protocol
// link to the server, the codec and jitter buffer, and the ALSA device whose capture periods pace
// everything (the device is the clock). While the device is gone a native timer stands in, sending
// silence, so the session survives an unplugged interface. Connection handling follows §5.
import dgram from 'node:dgram';
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
import { TickTimer, tickPeriodNs } from '../audio/tick-timer.js';
import type { InputSelection } from '../audio/alsa-device.js';
import { ClientAudio, clientFormat } from './client-audio.js';
import { ClientDevice } from './client-device.js';
import { MixSync, mixTargets } from './personal-mix.js';
import { parseServerAddress, resolveServerHost, type ServerAddress } from './server-address.js';
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

export class ClientEngine {
  private opts: ClientEngineOptions;
  private readonly socket: dgram.Socket;
  private readonly link: ProtocolLink;
  private device: ClientDevice | null = null;
  private fallback: InstanceType<typeof TickTimer> | null = null;
  private audio!: ClientAudio;
  /** Capture of a mono input before it is doubled for mono-in/stereo-out. */
  private monoIn!: Int16Array;
  /** Decoded mix plus the local own signal (mute-myself monitoring). */
  private monitor!: Int16Array;
  private inputSelection: InputSelection = 'input1';

  private state: ConnectionState = 'disconnected';
  private server: ServerAddress | null = null;
  private serverIp: string | null = null;
  /** The server of the last session: its stray audio is answered with CLM_DISCONNECTION. */
  private formerServer: { ip: string; port: number } | null = null;
  /**
   * "ip:port" the UDP socket is connected to. A connected socket sends without the per-datagram address
   * lookup of an unconnected one (measured: a large part of the client's CPU) and the kernel drops strangers.
   */
  private peer: string | null = null;
  /** Bumped for every attempt, so a late DNS answer of an abandoned attempt is ignored. */
  private attempt = 0;
  private attemptDeadline = 0;
  private retryAt = 0;
  private backoffMs = RETRY_INITIAL_MS;
  private lastAudioAt = 0;
  private lastStrayReplyAt = 0;
  private lastPingAt = 0;
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
  private readonly housekeeping: NodeJS.Timeout;
  private readonly epoch = performance.now();
  private fallbackPeriods = 0;
  private reconnects = 0;
  private lastError: string | null = null;
  private strangers = 0;
  private stopped = false;

  constructor(
    options: ClientEngineOptions,
    private readonly emit: (e: ClientEngineEvent) => void,
  ) {
    this.opts = options;
    this.socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 18, sendBufferSize: 1 << 18 });
    this.socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
    // ICMP "port unreachable" from a stopped server surfaces here; it is what server loss looks like.
    this.socket.on('error', (err) => {
      this.lastError = `socket: ${err.message}`;
    });
    this.link = new ProtocolLink({
      send: (bytes) => this.sendToServer(bytes),
      onMessage: (m) => this.onMessage(m),
      onDrop: (reason, error) => {
        this.lastError = `${reason}: ${error}`;
      },
    });
    this.setUpAudio();
    this.housekeeping = setInterval(() => this.tickHousekeeping(), HOUSEKEEPING_MS);
  }

  /** Binds the local UDP port (any free one) and opens the device. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.socket.once('error', onError);
      this.socket.bind(0, '0.0.0.0', () => {
        this.socket.off('error', onError);
        this.openDevice();
        if (this.opts.autoConnect) this.connect();
        resolve(this.socket.address().port);
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.disconnect();
    this.stopped = true;
    clearInterval(this.housekeeping);
    this.stopFallback();
    this.device?.close();
    this.device = null;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
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

  /** Clean disconnect: audio stops now, CLM_DISCONNECTION follows after ~100 ms; no reconnection. */
  async disconnect(): Promise<void> {
    const was = this.state;
    if (was === 'disconnected') return;
    const target = this.serverIp !== null && this.server ? { ip: this.serverIp, port: this.server.port } : null;
    this.endSession();
    this.state = 'disconnected';
    this.updatePacing();
    if (was === 'connected') this.emit({ event: 'disconnected', reason: 'disconnected by request' });
    if (target && (was === 'connected' || was === 'connecting')) {
      await new Promise((r) => setTimeout(r, DISCONNECT_GRACE_MS));
      this.sendRaw(encodeMessage('CLM_DISCONNECTION', {}, 0), target.port, target.ip);
    }
  }

  configure(next: ClientEngineOptions): void {
    const prev = this.opts;
    this.opts = next;
    const restart = RESTART_KEYS.some((k) => prev[k] !== next[k]);
    if (restart) {
      const wasActive = this.state !== 'disconnected';
      void this.disconnect().then(() => {
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
    if (!next.autoConnect && prev.autoConnect) void this.disconnect();
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
      serverAddress: this.serverIp && this.server ? `${this.serverIp}:${this.server.port}` : null,
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
        captureChannels: this.device?.captureChannels ?? 0,
        playbackChannels: this.device?.playbackChannels ?? 0,
      },
      audioPacketsOut: a.packetsOut,
      audioPacketsIn: a.packetsIn,
      audioDropped: a.wrongSize + this.strangers,
      jitterUnderruns: a.underruns,
      fallbackPeriods: this.fallbackPeriods,
      reconnects: this.reconnects,
      lastError: this.lastError,
      protocolDrops: { ...this.link.stats.drops },
    };
  }

  // ---- audio: one call per device period (or fallback tick) ----

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
    if ((state === 'connecting' || state === 'connected') && this.serverIp !== null) {
      const packet = a.encode(this.opts.muteMyself ? a.silence : a.send);
      this.socket.send(packet);
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

  private onDatagram(msg: Buffer, address: string, port: number): void {
    const now = this.now();
    if (address !== this.serverIp || this.server === null || port !== this.server.port) {
      const f = this.formerServer;
      if (f && f.ip === address && f.port === port && !isProtocolFrame(msg, msg.length)) {
        // Like the reference: a server still streaming to us is told we left.
        if (now - this.lastStrayReplyAt >= STRAY_REPLY_MS) {
          this.lastStrayReplyAt = now;
          this.sendRaw(encodeMessage('CLM_DISCONNECTION', {}, 0), port, address);
        }
        return;
      }
      this.strangers++;
      return;
    }
    const session = this.state === 'connecting' || this.state === 'connected';
    // serverIp is only set while a session is on.
    if (!session) return;
    if (isProtocolFrame(msg, msg.length)) {
      this.link.receive(msg, now);
      return;
    }
    if (!this.audio.put(msg, msg.length, this.opts.jitterAuto)) return;
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
    if (this.serverIp === null || this.server === null) return;
    this.sendRaw(bytes, this.server.port, this.serverIp);
  }

  private sendRaw(bytes: Uint8Array, port: number, address: string): void {
    if (this.stopped) return;
    if (this.peer === `${address}:${port}`) this.socket.send(bytes);
    else if (this.peer === null) this.socket.send(bytes, 0, bytes.length, port, address);
  }

  private connectSocket(ip: string, port: number, then: () => void): void {
    const key = `${ip}:${port}`;
    if (this.peer === key) return then();
    if (this.peer !== null) {
      this.socket.disconnect();
      this.peer = null;
    }
    this.socket.connect(port, ip, () => {
      this.peer = key;
      then();
    });
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
    resolveServerHost(server.host).then(
      (ip) => {
        if (attempt !== this.attempt || this.state !== 'connecting') return;
        this.connectSocket(ip, server.port, () => this.beginAttempt(attempt, ip));
      },
      (e: Error) => {
        if (attempt !== this.attempt || this.state !== 'connecting') return;
        this.lose(`cannot resolve ${server.host}: ${e.message}`);
      },
    );
  }

  /** The socket points at the server: reset everything per-session and announce the format. */
  private beginAttempt(attempt: number, ip: string): void {
    if (attempt !== this.attempt || this.state !== 'connecting') return;
    this.serverIp = ip;
    this.formerServer = null;
    this.link.reset();
    this.ownId = null;
    this.clients = [];
    this.mixSync.reset();
    this.serverVersion = null;
    this.pingMs = null;
    this.setUpAudio(false);
    this.attemptDeadline = this.now() + CONNECT_TIMEOUT_MS;
    this.link.sendMessage('NETW_TRANSPORT_PROPS', this.audio.props, this.now());
    this.updatePacing();
  }

  /** Leaves the current session without notifying anybody (link state, server address). */
  private endSession(): void {
    this.attempt++;
    if (this.serverIp !== null && this.server) this.formerServer = { ip: this.serverIp, port: this.server.port };
    this.link.reset();
    this.serverIp = null;
    this.ownId = null;
    this.clients = [];
    this.mixSync.reset();
    this.pingMs = null;
  }

  /** Server lost or attempt failed: stop audio, say goodbye, retry after the back-off. */
  private lose(reason: string): void {
    const wasConnected = this.state === 'connected';
    const target = this.serverIp !== null && this.server ? { ip: this.serverIp, port: this.server.port } : null;
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
      setTimeout(() => this.sendRaw(encodeMessage('CLM_DISCONNECTION', {}, 0), target.port, target.ip), DISCONNECT_GRACE_MS);
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
    if (!this.inSession() || this.serverIp === null) return;
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
    if (this.inSession() && this.serverIp !== null) this.link.sendMessage('JITT_BUF_SIZE', { blocks: this.jitterWireValue() }, this.now());
  }

  // ---- device and pacing ----

  private openDevice(): void {
    this.device?.close();
    this.device = new ClientDevice(this.opts.device, this.opts.frames, (n) => this.onDevicePeriods(n));
    this.deviceState = 'stopped';
    this.watchDevice();
  }

  private watchDevice(): void {
    const s = this.device?.stats();
    const state = s?.state ?? 'stopped';
    if (state !== this.deviceState) {
      this.deviceState = state;
      this.emit({ event: 'device', state, error: s?.error ?? null });
      this.updatePacing();
    }
  }

  /** The fallback clock runs only while a session needs audio and the device cannot pace it. */
  private updatePacing(): void {
    const need = this.inSession() && this.deviceState !== 'running' && !this.stopped;
    if (need && !this.fallback) {
      const t = new TickTimer(tickPeriodNs(this.opts.frames), (due) => {
        for (let i = 0; i < due && i < 8; i++) {
          this.fallbackPeriods++;
          this.period(null);
        }
      });
      t.start();
      this.fallback = t;
    } else if (!need) {
      this.stopFallback();
    }
  }

  private stopFallback(): void {
    this.fallback?.stop();
    this.fallback = null;
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
