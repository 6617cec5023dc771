// The local client's control plane, on the main thread: the connection to the server (connection.ts), the
// acknowledged protocol (ProtocolLink), ping, personal mix and profile, and the settings the musician changes.
// Everything per period (capture, encode, send, receive, jitter buffer, decode, mix, play) runs in the
// addon's audio thread (client-stream.ts), woken by the device's own period; this side hears about it through
// the datagrams that are not the server's audio and through counters, and hands it a new setup when the
// session or the format changes. Connection handling follows §5 of the protocol reference.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { LIMITS, ProtocolLink, encodeMessage, isProtocolFrame, type ReceivedMessage } from '../protocol/index.js';
import { JITTER } from '../audio/jitter-buffer.js';
import { monotonicNowNs } from '../net/udp-socket.js';
import { ClientStream, type ControlDatagram } from './client-stream.js';
import { Connection, type Peer } from './connection.js';
import { parseServerAddress } from './server-address.js';
import { Ping } from './ping.js';
import { MixSender } from './mix-sender.js';
import { clientStats } from './client-stats.js';
import { Housekeeping } from './housekeeping.js';
import { RESTART_KEYS, sameProfile, type ClientEngineEvent, type ClientEngineOptions, type ClientProfile, type ClientStats, type RemoteClient } from './client-options.js';
import { DISCONNECT_GRACE_MS, SEQUENCE_SINCE, SERVER_SILENCE_MS, STRAY_REPLY_MS, versionAtLeast } from './client-facts.js';

const CLM_DISCONNECTION = encodeMessage('CLM_DISCONNECTION', {}, 0);

export class ClientEngine extends EventEmitter<{ event: [ClientEngineEvent] }> {
  private opts: ClientEngineOptions;
  private readonly stream: ClientStream;
  private readonly link: ProtocolLink;
  private readonly connection: Connection;
  private readonly ping = new Ping();
  private readonly mix = new MixSender(() => this.flushMix(performance.now()));
  private sequence = false;
  /** Numbers sessions for the real-time path, so its "connected" is never a former session's. */
  private session = 0;
  private serverVersion: string | null = null;
  private serverJitterBlocks = 6;
  private ownId: number | null = null;
  private clients: RemoteClient[] = [];
  private deviceState: 'running' | 'lost' | 'stopped' = 'stopped';
  /** Arrival of the datagram being handled (the ping's answer needs it). */
  private arrivalNs = 0;
  private lastStrayReplyAt = -Infinity;
  private strangers = 0;
  private lastError: string | null = null;
  private readonly goodbyes = new Set<Promise<void>>();
  private readonly housekeeping = new Housekeeping(
    () => this.tick(),
    () => this.link.queued > 0 || this.connection.state === 'connecting' || this.connection.state === 'retrying',
  );
  private stopped = false;

  /** Opens the socket (throws when it cannot); start() opens the device and connects. */
  constructor(options: ClientEngineOptions) {
    super();
    this.opts = options;
    this.stream = new ClientStream(() => this.onWake());
    this.link = new ProtocolLink({
      send: (bytes) => this.sendToServer(bytes),
      onMessage: (m) => this.onMessage(m),
      onDrop: (reason, error) => {
        this.lastError = `${reason}: ${error}`;
      },
    });
    this.connection = new Connection(options.server, {
      peerId: (ip) => this.stream.peerId(ip),
      startSession: (peer) => this.startSession(peer),
      endSession: (goodbye) => this.endSession(goodbye),
      emit: (e) => {
        this.housekeeping.hurry();
        this.emit('event', e);
      },
      now: () => performance.now(),
    });
  }

  /** Opens the device and, if configured, starts connecting. Returns the UDP port the client sends from. */
  start(): number {
    this.stream.openDevice(this.opts.device, this.opts.frames);
    this.setUpStream(null);
    this.housekeeping.start();
    this.watchDevice();
    if (this.opts.autoConnect) this.connect();
    return this.stream.port;
  }

  /** Disconnects cleanly (the goodbye goes out after the grace), then closes the device and the socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.disconnect();
    await Promise.all([...this.goodbyes]);
    this.stopped = true;
    this.housekeeping.stop();
    this.mix.stop();
    this.stream.close();
  }

  /** Starts a session with the configured server, or with `server` (host[:port], then the configured one). */
  connect(server?: string): void {
    if (server !== undefined) {
      parseServerAddress(server);
      this.connection.setServer(server);
      this.opts = { ...this.opts, server };
    }
    this.connection.connect();
    this.housekeeping.hurry();
  }

  /** Clean disconnect: audio stops now, CLM_DISCONNECTION follows after ~100 ms; resolves once it went out. */
  disconnect(): Promise<void> {
    const target = this.connection.disconnect();
    return target ? this.goodbye(target) : Promise.resolve();
  }

  /** Applies new settings; a new server, device, frame size, quality or channel mode reconnects cleanly. */
  async configure(next: ClientEngineOptions): Promise<void> {
    const prev = this.opts;
    this.opts = next;
    if (RESTART_KEYS.some((k) => prev[k] !== next[k])) {
      const wasActive = this.connection.state !== 'disconnected';
      await this.disconnect();
      if (this.stopped) return;
      this.connection.setServer(next.server);
      if (prev.device !== next.device || prev.frames !== next.frames) this.stream.openDevice(next.device, next.frames);
      this.setUpStream(null);
      if (next.autoConnect || wasActive) this.connect();
      return;
    }
    this.stream.setParams(next);
    if (prev.jitterAuto !== next.jitterAuto || prev.jitterSize !== next.jitterSize) this.sendJitterSetting();
    if (!sameProfile(prev.profile, next.profile)) this.sendProfile();
    this.requestMixSync();
    if (!next.autoConnect && prev.autoConnect) void this.disconnect();
    else if (next.autoConnect && !prev.autoConnect && this.connection.state === 'disconnected') this.connect();
  }

  /** Changes the musician's name, country, instrument, city or skill, and tells the server. */
  setProfile(patch: Partial<ClientProfile>): ClientProfile {
    this.opts = { ...this.opts, profile: { ...this.opts.profile, ...patch } };
    this.sendProfile();
    return this.opts.profile;
  }

  /** The personal mix (per-musician fader, pan, mute, solo), sent as gains and pans the server holds. */
  setMix(mix: ClientEngineOptions['mix']): void {
    this.opts = { ...this.opts, mix };
    this.requestMixSync();
  }

  /** Sends silence instead of the input; the musician still hears themself if hearOwnSignal is on. */
  setMuted(muted: boolean): void {
    this.opts = { ...this.opts, muteMyself: muted };
    this.stream.setParams(this.opts);
  }

  /** Chat text as typed (plain); false when not connected. */
  sendChat(text: string): boolean {
    if (this.connection.state !== 'connected') return false;
    this.link.sendMessage('CHAT_TEXT', { text: text.slice(0, LIMITS.chatTyped) }, performance.now());
    return true;
  }

  isConnected(): boolean {
    return this.connection.state === 'connected';
  }

  getProfile(): ClientProfile {
    return this.opts.profile;
  }

  /** The musicians on the server, as its last CONN_CLIENTS_LIST named them. */
  getClients(): RemoteClient[] {
    return this.clients;
  }

  getStats(): ClientStats {
    const { opts, connection, stream, ownId, serverVersion, strangers } = this;
    const serverJitterBlocks = opts.jitterAuto ? this.serverJitterBlocks : opts.jitterSize;
    const lastError = connection.lastError ?? this.lastError;
    return clientStats({ opts, connection, stream, ownId, serverVersion, pingMs: this.ping.ms, serverJitterBlocks, strangers, lastError, protocolDrops: this.link.stats.drops });
  }

  // ---- what the real-time path passes on ----

  private onWake(): void {
    const now = performance.now();
    for (let d = this.stream.receive(); d !== null; d = this.stream.receive()) {
      // A bug reached by some input costs that input, not the session.
      try {
        this.onDatagram(d, now);
      } catch (e) {
        this.lastError = `internal error (receive): ${(e as Error).message}`;
      }
    }
    if (this.connection.state === 'connecting' && this.stream.connectedSession === this.session) this.becomeConnected(now);
  }

  private onDatagram(d: ControlDatagram, now: number): void {
    const peer = this.connection.peer;
    if (!peer || d.addr !== peer.addr || d.port !== peer.port) {
      const f = this.connection.formerPeer;
      if (f && f.addr === d.addr && f.port === d.port && !isProtocolFrame(d.bytes, d.length)) {
        // Like the reference: a server still streaming to us is told we left.
        if (now - this.lastStrayReplyAt >= STRAY_REPLY_MS) {
          this.lastStrayReplyAt = now;
          this.stream.send(CLM_DISCONNECTION, d.addr, d.port);
        }
        return;
      }
      this.strangers++;
      return;
    }
    // From the server and not its audio: a protocol message, or (at a 2^-32 chance) audio shaped like one.
    if (!isProtocolFrame(d.bytes, d.length)) {
      this.strangers++;
      return;
    }
    this.arrivalNs = d.arrivalNs;
    this.link.receive(d.bytes, now, d.length);
  }

  private becomeConnected(now: number): void {
    this.connection.becomeConnected();
    // §5.2: what the reference sends when the first server audio arrives.
    this.sendProfile();
    this.link.sendMessage('REQ_CONN_CLIENTS_LIST', {}, now);
    this.link.sendMessage('JITT_BUF_SIZE', { blocks: this.jitterWireValue() }, now);
    this.link.sendMessage('REQ_CHANNEL_LEVEL_LIST', { optIn: true }, now);
  }

  private onMessage(m: ReceivedMessage): void {
    const now = performance.now();
    switch (m.name) {
      case 'CLIENT_ID':
        // A CLIENT_ID while channels are known means the server restarted: forget its old ids.
        this.ownId = m.value.channelId;
        this.clients = [];
        this.mix.reset();
        this.requestMixSync();
        this.emit('event', { event: 'clientId', id: m.value.channelId });
        return;
      case 'REQ_NETW_TRANSPORT_PROPS':
        this.link.sendMessage('NETW_TRANSPORT_PROPS', this.stream.props, now);
        return;
      case 'REQ_JITT_BUF_SIZE':
        this.link.sendMessage('JITT_BUF_SIZE', { blocks: this.jitterWireValue() }, now);
        return;
      case 'REQ_CHANNEL_INFOS':
        this.sendProfile();
        return;
      case 'VERSION_AND_OS':
        this.serverVersion = m.value.version;
        if (!this.sequence && versionAtLeast(m.value.version, SEQUENCE_SINCE) && this.connection.peer) {
          this.sequence = true;
          this.setUpStream(this.connection.peer);
          this.link.sendMessage('NETW_TRANSPORT_PROPS', this.stream.props, now);
        }
        return;
      case 'JITT_BUF_SIZE':
        if (m.value.blocks >= JITTER.minBlocks && m.value.blocks <= JITTER.maxBlocks) this.serverJitterBlocks = m.value.blocks;
        return;
      case 'CONN_CLIENTS_LIST': {
        const list = m.value.clients.map((c) => ({ id: c.channelId, name: c.name, country: c.country, instrument: c.instrument, skill: c.skill, city: c.city }));
        // The empty list on a new connection tells the client the server reset its mix.
        if (list.length === 0) this.mix.reset();
        this.clients = list;
        this.requestMixSync();
        this.emit('event', { event: 'clientList', clients: list });
        return;
      }
      case 'CHAT_TEXT':
        this.emit('event', { event: 'chat', text: m.value.text });
        return;
      case 'CLM_PING_MS':
        this.ping.onReply(m.value.timeMs, this.arrivalNs);
        return;
      case 'CLM_CHANNEL_LEVEL_LIST':
        this.emit('event', { event: 'levels', levels: m.value.levels });
        return;
      case 'CLM_DISCONNECTION':
        this.connection.lose('the server ended the session');
        return;
      case 'CLM_SERVER_FULL':
        if (this.connection.state === 'connecting') this.connection.lose('the server is full');
        return;
      default:
        // OPUS_SUPPORTED, LICENCE_REQUIRED, RECORDER_STATE, MUTE_STATE_CHANGED, split negotiation: nothing to do.
        return;
    }
  }

  // ---- sessions (connection.ts decides when) ----

  /** The server's address is known: reset everything per-session and announce the format. */
  private startSession(peer: Peer): void {
    this.session = (this.session % 0xfffffffe) + 1;
    this.resetSession();
    this.serverVersion = null;
    this.sequence = false;
    this.setUpStream(peer);
    this.link.sendMessage('NETW_TRANSPORT_PROPS', this.stream.props, performance.now());
  }

  private endSession(goodbye: Peer | null): void {
    this.resetSession();
    this.setUpStream(null);
    if (goodbye) void this.goodbye(goodbye);
  }

  private resetSession(): void {
    this.link.reset();
    this.ownId = null;
    this.clients = [];
    this.mix.reset();
    this.ping.reset();
  }

  /** A new format (or session) for the real-time path, with the current live settings. */
  private setUpStream(peer: Peer | null): void {
    this.stream.setSetup(this.opts, this.sequence, peer, this.session, peer !== null && this.connection.state === 'connected');
    this.stream.setParams(this.opts);
  }

  /** CLM_DISCONNECTION to `peer` after the grace the reference waits, so its audio has stopped first. */
  private goodbye(peer: Peer): Promise<void> {
    const sent = new Promise<void>((resolve) =>
      setTimeout(() => {
        if (!this.stopped) this.stream.send(CLM_DISCONNECTION, peer.addr, peer.port);
        resolve();
      }, DISCONNECT_GRACE_MS),
    );
    this.goodbyes.add(sent);
    void sent.then(() => this.goodbyes.delete(sent));
    return sent;
  }

  private tick(): void {
    const now = performance.now();
    try {
      this.watchDevice();
      this.connection.poll(now);
      if (!this.connection.inSession) return;
      this.link.poll(now);
      if (this.connection.state !== 'connected') return;
      if (monotonicNowNs() - this.stream.lastAudioNs > SERVER_SILENCE_MS * 1e6) {
        this.connection.lose(`no audio from the server for ${SERVER_SILENCE_MS / 1000} s`);
        return;
      }
      const ping = this.ping.due(now);
      if (ping) this.link.sendClm('CLM_PING_MS', ping);
      this.flushMix(now);
    } catch (e) {
      this.lastError = `internal error (housekeeping): ${(e as Error).message}`;
    }
  }

  private watchDevice(): void {
    const state = this.stream.deviceState;
    if (state === this.deviceState) return;
    this.deviceState = state;
    this.emit('event', { event: 'device', state, error: this.stream.deviceStats()?.error ?? null });
  }

  // ---- what the server is told ----

  private sendToServer(bytes: Uint8Array): void {
    const peer = this.connection.peer;
    if (peer) this.stream.send(bytes, peer.addr, peer.port);
    // A message now awaits its ACK: its retransmission is due within RETRANSMIT_MS.
    if (this.link.queued > 0) this.housekeeping.hurry();
  }

  private mixContext(): Parameters<MixSender['flush']>[1] {
    return { clients: this.clients, ownId: this.ownId, mix: this.opts.mix, hearOwnSignal: this.opts.hearOwnSignal, serverVersion: this.serverVersion, pingMs: this.ping.ms };
  }

  private requestMixSync(): void {
    const state = this.connection.state;
    const canSend = state === 'connected' || (state === 'connecting' && this.ownId !== null);
    this.mix.request(canSend, this.link, this.mixContext(), performance.now());
  }

  private flushMix(now: number): void {
    if (this.connection.state === 'connected' && !this.stopped) this.mix.flush(this.link, this.mixContext(), now);
  }

  private sendProfile(): void {
    if (!this.connection.peer) return;
    const p = this.opts.profile;
    const value = { country: p.country, instrument: p.instrument, skill: p.skill, name: p.name.slice(0, LIMITS.name), city: p.city.slice(0, LIMITS.city) };
    this.link.sendMessage('CHANNEL_INFOS', value, performance.now());
  }

  private jitterWireValue(): number {
    return this.opts.jitterAuto ? JITTER.autoBlocks : this.opts.jitterSize;
  }

  private sendJitterSetting(): void {
    if (this.connection.peer) this.link.sendMessage('JITT_BUF_SIZE', { blocks: this.jitterWireValue() }, performance.now());
  }
}
