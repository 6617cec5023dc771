// The admin's links to the server and client services over their JSON-RPC control channels. One
// connection per service, opened on first use and again after it drops; calls fail fast (the page
// says "not running") rather than hanging a phone's request. The client's level meters arrive as
// notifications, so the last ones are kept here for the mix page to poll.
import { JsonRpcClient } from '../../appliance/src/control/index.js';
import { readSecretFile } from '../../appliance/src/control/index.js';

const CONNECT_TIMEOUT_MS = 800;
const CALL_TIMEOUT_MS = 2500;
/** After a failed connect, calls fail at once for this long instead of each waiting for a time-out. */
const RETRY_AFTER_MS = 1000;

export class ServiceUnavailableError extends Error {
  constructor(readonly service: string, reason: string) {
    super(`${service} is not reachable: ${reason}`);
    this.name = 'ServiceUnavailableError';
  }
}

export class ServiceLink {
  private client: JsonRpcClient | null = null;
  private connecting: Promise<JsonRpcClient> | null = null;
  private failedAt = 0;
  private lastFailure = '';
  private readonly notificationHandlers: ((method: string, params: Record<string, unknown>) => void)[] = [];

  constructor(
    readonly name: 'server' | 'client',
    private readonly port: () => number,
    private readonly secretFile: string | undefined,
  ) {}

  onNotification(fn: (method: string, params: Record<string, unknown>) => void): void {
    this.notificationHandlers.push(fn);
  }

  get configured(): boolean {
    return this.secretFile !== undefined;
  }

  async call<T = unknown>(method: string, params: Readonly<Record<string, unknown>> = {}, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
    const c = await this.connection();
    return c.call<T>(method, params, { timeoutMs });
  }

  /** Opens the connection now (the mix page wants level notifications before the first poll). */
  async ensure(): Promise<void> {
    await this.connection();
  }

  private connection(): Promise<JsonRpcClient> {
    if (this.client && !this.client.closed) return Promise.resolve(this.client);
    if (!this.secretFile) return Promise.reject(new ServiceUnavailableError(this.name, 'no JSON-RPC secret file'));
    if (Date.now() - this.failedAt < RETRY_AFTER_MS) return Promise.reject(new ServiceUnavailableError(this.name, this.lastFailure));
    this.connecting ??= (async () => {
      try {
        const secret = readSecretFile(this.secretFile!);
        const c = await JsonRpcClient.connect({ port: this.port(), secret, timeoutMs: CONNECT_TIMEOUT_MS });
        c.on('notification', (m, p) => {
          for (const h of this.notificationHandlers) h(m, p);
        });
        c.on('close', () => {
          if (this.client === c) this.client = null;
        });
        this.client = c;
        return c;
      } catch (e) {
        this.failedAt = Date.now();
        this.lastFailure = (e as Error).message;
        throw new ServiceUnavailableError(this.name, this.lastFailure);
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }
}

/** The client's last level list (0–9 per channel, in client-list order) and musicians, from notifications. */
export class ClientLiveState {
  levels: readonly number[] = [];
  levelsAt = 0;

  constructor(link: ServiceLink) {
    link.onNotification((method, params) => {
      if (method === 'jamulusclient/channelLevelListReceived' && Array.isArray(params.channelLevelList)) {
        this.levels = (params.channelLevelList as unknown[]).map((v) => (typeof v === 'number' ? v : 0));
        this.levelsAt = Date.now();
      } else if (method === 'jamulusclient/disconnected') {
        this.levels = [];
      }
    });
  }

  /** Levels older than this are stale (the client stopped sending them). */
  current(now = Date.now()): readonly number[] {
    return now - this.levelsAt < 3000 ? this.levels : [];
  }
}
