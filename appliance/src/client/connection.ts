// The client's connection state machine (protocol §5): disconnected → connecting (the server's address
// resolved, the format announced) → connected (its first audio arrived) → back to disconnected on request, or
// to retrying after a failure, with a back-off that doubles from 1 s to 30 s. It decides; the engine acts on
// its hooks (start a session, end one, say goodbye) and on the events it emits.
import { literalServerHost, parseServerAddress, resolveServerHost, type ServerAddress } from './server-address.js';
import { CONNECT_TIMEOUT_MS, RETRY_INITIAL_MS, RETRY_MAX_MS } from './client-facts.js';
import type { ConnectionState } from './client-options.js';
import type { ClientEngineEvent } from './client-options.js';

/** A server as the socket names senders (ClientStream.peerId: IPv4 as a host-order uint32, IPv6 as a peer id), and a port. */
export interface Peer {
  addr: number;
  port: number;
}

interface ConnectionHooks {
  /** The socket's number for an IP address (ClientStream.peerId); throws when the socket cannot reach it. */
  peerId(ip: string): number;
  /** The server's address is known: set up a session with it (reset per-session state, announce the format). */
  startSession(peer: Peer): void;
  /** The session ended; `goodbye` is the server to tell (CLM_DISCONNECTION after the grace), if any. */
  endSession(goodbye: Peer | null): void;
  emit(e: ClientEngineEvent): void;
  now(): number;
}

export class Connection {
  state: ConnectionState = 'disconnected';
  server: ServerAddress | null = null;
  /** The resolved address ("a.b.c.d" or an IPv6 address), and the peer, while a session is on. */
  serverIp: string | null = null;
  peer: Peer | null = null;
  /** The server of the last session: its stray audio is answered with CLM_DISCONNECTION. */
  formerPeer: Peer | null = null;
  reconnects = 0;
  lastError: string | null = null;
  /** Bumped for every attempt, so a late DNS answer of an abandoned attempt is ignored. */
  private attempt = 0;
  private attemptDeadline = 0;
  private retryAt = 0;
  private backoffMs = RETRY_INITIAL_MS;

  constructor(
    private serverText: string,
    private readonly hooks: ConnectionHooks,
  ) {}

  get inSession(): boolean {
    return this.state === 'connecting' || this.state === 'connected';
  }

  /** The server to join from the next attempt on (host[:port]; a bad one fails that attempt, with the reason). */
  setServer(text: string): void {
    this.serverText = text;
  }

  get label(): string {
    return this.server?.label ?? this.serverText;
  }

  /** Starts a session with the configured server (leaving any current one without a goodbye). */
  connect(): void {
    if (this.inSession) this.leave();
    this.backoffMs = RETRY_INITIAL_MS;
    this.startAttempt();
  }

  /** Clean disconnect: no reconnection. Returns the server to say goodbye to, if a session was on. */
  disconnect(): Peer | null {
    const was = this.state;
    if (was === 'disconnected') return null;
    const target = this.peer;
    this.leave();
    this.state = 'disconnected';
    if (was === 'connected') this.hooks.emit({ event: 'disconnected', reason: 'disconnected by request' });
    return was === 'connected' || was === 'connecting' ? target : null;
  }

  /** The session's first server audio arrived. */
  becomeConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'connected';
    this.backoffMs = RETRY_INITIAL_MS;
    this.hooks.emit({ event: 'connected', server: this.label });
  }

  /** Server lost or attempt failed: end the session, say goodbye, retry after the back-off. */
  lose(reason: string): void {
    const wasConnected = this.state === 'connected';
    const target = this.peer;
    this.leave(target);
    this.state = 'retrying';
    this.lastError = reason;
    const wait = this.backoffMs;
    this.retryAt = this.hooks.now() + wait;
    this.backoffMs = Math.min(RETRY_MAX_MS, this.backoffMs * 2);
    this.reconnects++;
    if (wasConnected) this.hooks.emit({ event: 'disconnected', reason });
    this.hooks.emit({ event: 'attemptFailed', server: this.label, reason, retryInMs: wait });
  }

  /** Time-outs and retries; called from the engine's housekeeping. */
  poll(now: number): void {
    if (this.state === 'connecting' && now > this.attemptDeadline) this.lose(`no answer from ${this.label}`);
    else if (this.state === 'retrying' && now >= this.retryAt) this.startAttempt();
  }

  private startAttempt(): void {
    let server: ServerAddress;
    try {
      server = parseServerAddress(this.serverText);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.state = 'disconnected';
      this.hooks.emit({ event: 'attemptFailed', server: this.serverText, reason: (e as Error).message, retryInMs: -1 });
      return;
    }
    const attempt = ++this.attempt;
    this.server = server;
    this.state = 'connecting';
    this.attemptDeadline = this.hooks.now() + CONNECT_TIMEOUT_MS;
    const ip = literalServerHost(server.host);
    if (ip !== null) {
      this.begin(attempt, ip);
      return;
    }
    resolveServerHost(server.host).then(
      (resolved) => this.begin(attempt, resolved),
      (e: Error) => {
        if (attempt === this.attempt && this.state === 'connecting') this.lose(`cannot resolve ${server.host}: ${e.message}`);
      },
    );
  }

  private begin(attempt: number, ip: string): void {
    if (attempt !== this.attempt || this.state !== 'connecting') return;
    let addr: number;
    try {
      addr = this.hooks.peerId(ip);
    } catch (e) {
      // An IPv6 server while the kernel gave the client an IPv4-only socket.
      this.lose(`cannot reach ${ip}: ${(e as Error).message}`);
      return;
    }
    this.serverIp = ip;
    this.peer = { addr, port: this.server!.port };
    this.formerPeer = null;
    this.attemptDeadline = this.hooks.now() + CONNECT_TIMEOUT_MS;
    this.hooks.startSession(this.peer);
  }

  /** Leaves the current session (goodbye to `goodbye` if given). */
  private leave(goodbye: Peer | null = null): void {
    this.attempt++;
    if (this.peer) this.formerPeer = this.peer;
    this.peer = null;
    this.serverIp = null;
    this.hooks.endSession(goodbye);
  }
}
