// Public mode: keeps this server listed in a Jamulus directory (protocol reference §6.2). Runs on the main
// thread — its timers fire at most every 500 ms and never touch audio — and sends every datagram through the
// engine, because the directory keys the entry (and later hole punching) by the source address of the
// registration: it has to be the server's own UDP port.
import { EventEmitter } from 'node:events';
import { LIMITS } from '../protocol/index.js';
import { ANNOUNCED_OS, ANNOUNCED_VERSION } from './server-facts.js';
import { discoverLanAddress, resolveIPv4, splitDirectoryAddress } from './directory-address.js';
import { DEFAULT_TIMINGS, type RegistrarTimings } from './registrar-timings.js';
import { FAILED_STATUSES, RESPONSE_STATUS, type RegistrationSnapshot, type RegistrationStatus } from './registration-status.js';

/** What the registration message says about this server. */
export interface RegistrationInfo {
  port: number;
  name: string;
  city: string;
  /** Qt5 country number. */
  country: number;
  maxClients: number;
  /** `--public-ip`: sent as the internal address instead of the LAN address ('' = discover). */
  publicIp: string;
}

/** The engine side the registrar needs (ServerEngineHost). */
export interface RegistrarTransport {
  sendClmTo(name: string, value: unknown, address: string, port: number): Promise<void>;
  setHolePunchSource(address: string | null): Promise<void>;
}

export interface RegistrarOptions {
  timings?: RegistrarTimings;
  /** Host name → IPv4 (default: the system resolver, IPv4 only, as Jamulus 3.9 without -6). */
  resolve?: (host: string) => Promise<string>;
  /** The LAN address put in the internal address field when no public IP is set. */
  lanAddress?: () => Promise<string>;
  log?: (line: string) => void;
}

export class DirectoryRegistrar extends EventEmitter<{ status: [RegistrationSnapshot] }> {
  private readonly t: RegistrarTimings;
  private readonly resolve: (host: string) => Promise<string>;
  private readonly lanAddress: () => Promise<string>;
  private readonly log: (line: string) => void;

  private transport: RegistrarTransport;
  private info: RegistrationInfo;
  private directory = '';
  private target: { host: string; port: number } | null = null;
  private directoryIp = '';
  private status: RegistrationStatus = 'not_registered';
  private lastError: string | null = null;
  private failures = 0;
  private registeredSince: number | null = null;
  private internalAddress = '';
  private registrationsSent = 0;

  /** Bumped whenever the directory or transport changes, so late DNS answers and replies of old attempts are ignored. */
  private generation = 0;
  private sendsThisAttempt = 0;
  private responseTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryAt: number | null = null;
  private reregisterTimer: NodeJS.Timeout | null = null;
  private keepAliveTimer: NodeJS.Timeout | null = null;

  constructor(transport: RegistrarTransport, info: RegistrationInfo, opts: RegistrarOptions = {}) {
    super();
    this.transport = transport;
    this.info = { ...info };
    this.t = opts.timings ?? { ...DEFAULT_TIMINGS };
    this.resolve = opts.resolve ?? resolveIPv4;
    this.lanAddress = opts.lanAddress ?? (() => discoverLanAddress());
    this.log = opts.log ?? (() => undefined);
  }

  snapshot(): RegistrationSnapshot {
    const now = Date.now();
    return {
      status: this.status,
      directory: this.directory,
      directoryIp: this.directoryIp,
      directoryPort: this.target?.port ?? 0,
      lastError: this.lastError,
      failures: this.failures,
      nextRetryAt: this.retryAt === null ? null : new Date(this.retryAt).toISOString(),
      nextRetryInMs: this.retryAt === null ? null : Math.max(0, this.retryAt - now),
      registeredSince: this.registeredSince === null ? null : new Date(this.registeredSince).toISOString(),
      permanent: this.isPermanent(now),
      internalAddress: this.internalAddress,
      registrationsSent: this.registrationsSent,
    };
  }

  get registrationStatus(): RegistrationStatus {
    return this.status;
  }

  get directoryAddress(): string {
    return this.directory;
  }

  /**
   * Registers with `address` (`host[:port]`), or stops registering when null (private mode). Leaving a
   * directory unregisters from it first, while the old socket and address are still ours.
   */
  async setDirectory(address: string | null): Promise<void> {
    const next = address ?? '';
    if (next === this.directory) return;
    await this.unregister();
    this.directory = next;
    this.failures = 0;
    this.lastError = null;
    if (next === '') {
      this.setStatus('not_registered');
      return;
    }
    this.startKeepAlive();
    this.startReregisterTimer();
    void this.attempt('enabled');
  }

  /** New server details. Name, city or country changes re-register at once (as Jamulus does); port and max clients go out with the next one. */
  setInfo(info: Partial<RegistrationInfo>): void {
    const before = this.info;
    this.info = { ...before, ...info };
    if (!this.directory) return;
    const visible =
      before.name !== this.info.name || before.city !== this.info.city || before.country !== this.info.country ||
      before.publicIp !== this.info.publicIp;
    if (visible) {
      this.failures = 0;
      void this.attempt('server info changed');
    }
  }

  /**
   * The engine was replaced (port change, restart): unregister through the old one first with
   * `unregister()`, then hand over the new one here; registration restarts from the new port.
   */
  setTransport(transport: RegistrarTransport, info?: Partial<RegistrationInfo>): void {
    this.transport = transport;
    if (info) this.info = { ...this.info, ...info };
    if (!this.directory) return;
    this.failures = 0;
    this.startKeepAlive();
    this.startReregisterTimer();
    void this.attempt('engine restarted');
  }

  /** Feed every `{event: 'clm'}` from the engine here. */
  onClm(name: string, value: unknown, address: string, port: number): void {
    if (name !== 'CLM_REGISTER_SERVER_RESP') return;
    // Only our directory's answer counts; anyone could send us a RESP.
    if (!this.target || address !== this.directoryIp || port !== this.target.port) return;
    if (this.status !== 'requested') return;
    this.clearResponseTimer();
    const result = (value as { result: number }).result;
    const status = RESPONSE_STATUS[result] ?? 'unknown_resp';
    if (status === 'registered') {
      this.failures = 0;
      this.lastError = null;
      this.clearRetry();
      if (this.registeredSince === null) this.registeredSince = Date.now();
      this.setStatus('registered');
      return;
    }
    this.fail(status, `directory ${this.directory} answered ${result} (${status})`);
  }

  /** Sends CLM_UNREGISTER_SERVER if we registered or asked to, and stops all timers. The directory setting is kept. */
  async unregister(): Promise<void> {
    this.generation++;
    this.clearTimers();
    const wasActive = this.status === 'registered' || this.status === 'requested' || this.registrationsSent > 0;
    if (this.target && this.directoryIp && wasActive) {
      try {
        await this.transport.sendClmTo('CLM_UNREGISTER_SERVER', {}, this.directoryIp, this.target.port);
        this.log(`unregistered from ${this.directory}`);
      } catch (e) {
        this.log(`could not unregister from ${this.directory}: ${(e as Error).message}`);
      }
    }
    await this.transport.setHolePunchSource(null).catch(() => undefined);
    this.registeredSince = null;
    this.directoryIp = '';
    this.target = null;
    this.retryAt = null;
    this.registrationsSent = 0;
  }

  /** Shutdown: unregister and forget the directory. */
  async stop(): Promise<void> {
    await this.unregister();
    this.directory = '';
    this.setStatus('not_registered');
  }

  // ---- the attempt cycle ----

  private async attempt(why: string): Promise<void> {
    const gen = ++this.generation;
    this.clearResponseTimer();
    this.clearRetry();
    const parsed = splitDirectoryAddress(this.directory);
    if (!parsed) {
      this.fail('bad_address', `directory address "${this.directory}" is not host[:port]`);
      return;
    }
    let ip: string;
    try {
      ip = await this.resolve(parsed.host);
    } catch (e) {
      if (gen !== this.generation) return;
      this.fail('bad_address', `cannot resolve ${parsed.host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    if (gen !== this.generation) return;
    let internal = this.info.publicIp;
    if (!internal) internal = await this.lanAddress();
    if (gen !== this.generation) return;
    if (ip !== this.directoryIp || this.target?.port !== parsed.port) {
      this.log(`directory ${this.directory} is ${ip}:${parsed.port}`);
    }
    this.target = parsed;
    this.directoryIp = ip;
    this.internalAddress = internal;
    await this.transport.setHolePunchSource(ip).catch(() => undefined);
    if (gen !== this.generation) return;
    this.log(`registering with ${this.directory} (${why})`);
    this.sendsThisAttempt = 0;
    // Jamulus reports "requested" from the first send until an answer or the time-out.
    this.setStatus('requested');
    this.sendRegistration(gen);
  }

  private sendRegistration(gen: number): void {
    if (gen !== this.generation || !this.target) return;
    this.sendsThisAttempt++;
    this.registrationsSent++;
    const i = this.info;
    const value = {
      port: i.port,
      country: i.country,
      maxClients: i.maxClients,
      permanent: this.isPermanent(Date.now()),
      name: i.name.slice(0, LIMITS.serverName),
      internalAddress: this.internalAddress,
      city: i.city.slice(0, LIMITS.city),
      os: ANNOUNCED_OS,
      version: ANNOUNCED_VERSION,
    };
    this.transport.sendClmTo('CLM_REGISTER_SERVER_EX', value, this.directoryIp, this.target.port).catch((e: Error) => {
      this.log(`sending registration failed: ${e.message}`);
    });
    this.responseTimer = setTimeout(() => {
      this.responseTimer = null;
      if (gen !== this.generation || this.status !== 'requested') return;
      if (this.sendsThisAttempt < this.t.maxSends) this.sendRegistration(gen);
      else this.fail('time_out', `no answer from ${this.directory} (${this.directoryIp}:${this.target?.port}) after ${this.t.maxSends} tries`);
    }, this.t.responseTimeoutMs);
    this.responseTimer.unref();
  }

  private fail(status: RegistrationStatus, error: string): void {
    this.clearResponseTimer();
    this.registeredSince = null;
    this.failures++;
    this.lastError = error;
    const delay = Math.min(this.t.retryMaxMs, this.t.retryBaseMs * 2 ** (this.failures - 1));
    this.retryAt = Date.now() + delay;
    this.log(`${error}; retrying in ${Math.round(delay / 1000)} s`);
    const gen = this.generation;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryAt = null;
      if (gen === this.generation && this.directory) void this.attempt(`retry ${this.failures}`);
    }, delay);
    this.retryTimer.unref();
    this.setStatus(status);
  }

  private isPermanent(now: number): boolean {
    return this.registeredSince !== null && now - this.registeredSince >= this.t.permanentAfterMs;
  }

  private setStatus(s: RegistrationStatus): void {
    const changed = s !== this.status;
    this.status = s;
    if (changed || FAILED_STATUSES.has(s)) this.emit('status', this.snapshot());
  }

  // ---- timers ----

  private startKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = setInterval(() => {
      if (!this.target || !this.directoryIp) return;
      this.transport.sendClmTo('CLM_EMPTY_MESSAGE', {}, this.directoryIp, this.target.port).catch(() => undefined);
    }, this.t.keepAliveMs);
    this.keepAliveTimer.unref();
  }

  private startReregisterTimer(): void {
    if (this.reregisterTimer) clearInterval(this.reregisterTimer);
    this.reregisterTimer = setInterval(() => {
      // A pending backoff retry is the next registration already.
      if (this.retryTimer || this.status === 'requested') return;
      void this.attempt('periodic re-registration');
    }, this.t.reregisterMs);
    this.reregisterTimer.unref();
  }

  private clearResponseTimer(): void {
    if (this.responseTimer) clearTimeout(this.responseTimer);
    this.responseTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
  }

  private clearTimers(): void {
    this.clearResponseTimer();
    this.clearRetry();
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    if (this.reregisterTimer) clearInterval(this.reregisterTimer);
    this.keepAliveTimer = null;
    this.reregisterTimer = null;
  }
}
