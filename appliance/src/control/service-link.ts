// A link to a riffbox service's JSON-RPC control channel on its Unix socket, used by the admin and by
// `riffbox status`. One connection, opened on first use and again after it drops; calls fail fast
// rather than hang a phone's request. A failure says which of two things is true, because an owner
// acts differently on each: the service is not running (nothing listens on its socket), or it may be
// running but this process cannot reach it (permissions, a wrong secret, a hung service).
import { JsonRpcClient, ConnectError } from './jsonrpc-client.js';
import { RpcError, RpcErrorCode } from './rpc-error.js';
import { readSecretFile } from './secret.js';
import type { ControlledService } from '../service-paths.js';

/** How long a link waits: short for a phone's request, longer for a one-shot `riffbox status`. */
export interface LinkPatience {
  readonly connectTimeoutMs: number;
  readonly callTimeoutMs: number;
}
export const PHONE_PATIENCE: LinkPatience = { connectTimeoutMs: 800, callTimeoutMs: 2500 };
/** After a failed connect, calls fail at once for this long instead of each waiting for a time-out. */
const RETRY_AFTER_MS = 1000;

/** not-running: no process listens on the socket. unreachable: one may, but this process cannot use it. */
export type LinkFailure = 'not-running' | 'unreachable';

export class ServiceUnavailableError extends Error {
  constructor(readonly service: ControlledService, readonly kind: LinkFailure, readonly reason: string) {
    super(kind === 'not-running' ? `the ${service} is not running (${reason})` : `the ${service} cannot be reached: ${reason}`);
    this.name = 'ServiceUnavailableError';
  }
}

/** What a failed connect means, for a Unix socket: ENOENT and ECONNREFUSED prove nobody listens. */
function classify(service: ControlledService, socketPath: string, connectTimeoutMs: number, e: unknown): ServiceUnavailableError {
  if (e instanceof ServiceUnavailableError) return e;
  if (e instanceof ConnectError) {
    switch (e.code) {
      case 'ENOENT':
        return new ServiceUnavailableError(service, 'not-running', `no control socket at ${socketPath}`);
      case 'ECONNREFUSED':
        return new ServiceUnavailableError(service, 'not-running', `nothing listens on ${socketPath}`);
      case 'EACCES':
      case 'EPERM':
        return new ServiceUnavailableError(service, 'unreachable', `permission denied on ${socketPath} (this user is not in the service's group)`);
      case 'ETIMEDOUT':
        return new ServiceUnavailableError(service, 'unreachable', `${socketPath} did not answer in ${connectTimeoutMs} ms (the service is busy or hung)`);
      default:
        return new ServiceUnavailableError(service, 'unreachable', e.message);
    }
  }
  if (e instanceof RpcError && e.code === RpcErrorCode.AUTHENTICATION_FAILED) {
    return new ServiceUnavailableError(service, 'unreachable', 'it refused the JSON-RPC secret (the secret file differs from the one it started with)');
  }
  return new ServiceUnavailableError(service, 'unreachable', (e as Error).message);
}

export class ServiceLink {
  private client: JsonRpcClient | null = null;
  private connecting: Promise<JsonRpcClient> | null = null;
  private failedAt = 0;
  private lastFailure: ServiceUnavailableError | null = null;
  private readonly notificationHandlers: ((method: string, params: Record<string, unknown>) => void)[] = [];

  constructor(
    readonly name: ControlledService,
    readonly socketPath: string,
    private readonly secretFile: string | undefined,
    private readonly patience: LinkPatience = PHONE_PATIENCE,
  ) {}

  onNotification(fn: (method: string, params: Record<string, unknown>) => void): void {
    this.notificationHandlers.push(fn);
  }

  /** Rejects with ServiceUnavailableError when the link cannot be made, RpcError when the method fails. */
  async call<T = unknown>(method: string, params: Readonly<Record<string, unknown>> = {}, timeoutMs = this.patience.callTimeoutMs): Promise<T> {
    const c = await this.connection();
    return c.call<T>(method, params, { timeoutMs });
  }

  /** Opens the connection now (the mix page wants level notifications before the first poll). */
  async ensure(): Promise<void> {
    await this.connection();
  }

  private connection(): Promise<JsonRpcClient> {
    if (this.client && !this.client.closed) return Promise.resolve(this.client);
    if (!this.secretFile) {
      return Promise.reject(new ServiceUnavailableError(this.name, 'unreachable', 'no JSON-RPC secret file (run riffbox init)'));
    }
    if (this.lastFailure && Date.now() - this.failedAt < RETRY_AFTER_MS) return Promise.reject(this.lastFailure);
    this.connecting ??= (async () => {
      try {
        const secret = readSecretFile(this.secretFile!);
        const c = await JsonRpcClient.connect({ socketPath: this.socketPath, secret, timeoutMs: this.patience.connectTimeoutMs });
        c.on('notification', (m, p) => {
          for (const h of this.notificationHandlers) h(m, p);
        });
        c.on('close', () => {
          if (this.client === c) this.client = null;
        });
        this.client = c;
        this.lastFailure = null;
        return c;
      } catch (e) {
        this.failedAt = Date.now();
        this.lastFailure = classify(this.name, this.socketPath, this.patience.connectTimeoutMs, e);
        throw this.lastFailure;
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
