// Client side of the control channel, used by the admin and by `riffbox` CLI tools to drive
// the server and client services. Works against Jamulus's own JSON-RPC as well.

import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { LineSplitter } from './line-splitter.js';
import { RpcError } from './rpc-error.js';

export interface JsonRpcClientOptions {
  /** TCP port on `host`; ignored when `socketPath` is given. */
  readonly port?: number;
  readonly host?: string;
  /** A Unix socket to connect to instead of TCP. */
  readonly socketPath?: string;
  /** When given, `jamulus/apiAuth` is called before connect() resolves. */
  readonly secret?: string;
  /** For connecting and for each call unless the call says otherwise. */
  readonly timeoutMs?: number;
  /** Replies can be large (150 clients in getClients); this only bounds a broken peer. */
  readonly maxLineBytes?: number;
}

/** A connection that never opened; `code` is the system's (ENOENT, ECONNREFUSED, EACCES, ETIMEDOUT, …). */
export class ConnectError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'ConnectError';
  }
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface JsonRpcClientEvents {
  notification: [method: string, params: Record<string, unknown>];
  /** A line that answers no call: an error without id, garbage. */
  unexpected: [message: unknown];
  close: [];
  /** A notification listener threw; reading continues. */
  listenerError: [error: Error];
}

export class JsonRpcClient extends EventEmitter<JsonRpcClientEvents> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private isClosed = false;
  private readonly splitter: LineSplitter;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
    maxLineBytes: number,
  ) {
    super();
    this.splitter = new LineSplitter(maxLineBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) =>
      this.splitter.push(chunk, {
        line: (bytes) => {
          this.onLine(bytes.toString('utf8'));
          return true;
        },
        oversized: () => {
          this.fail(new Error(`JSON-RPC reply longer than ${maxLineBytes} bytes`));
          return false;
        },
      }),
    );
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('JSON-RPC connection closed')));
  }

  static connect(opts: JsonRpcClientOptions): Promise<JsonRpcClient> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const where = opts.socketPath ?? `${opts.host ?? '127.0.0.1'}:${opts.port}`;
    return new Promise<JsonRpcClient>((resolve, reject) => {
      if (opts.socketPath === undefined && opts.port === undefined) {
        reject(new TypeError('JSON-RPC connect needs a port or a socket path'));
        return;
      }
      const socket = opts.socketPath !== undefined
        ? connect({ path: opts.socketPath })
        : connect({ port: opts.port!, host: opts.host ?? '127.0.0.1' });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectError(`JSON-RPC connect to ${where} timed out`, 'ETIMEDOUT'));
      }, timeoutMs);
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ConnectError(`JSON-RPC connect to ${where} failed: ${e.message}`, e.code ?? 'EIO'));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new JsonRpcClient(socket, timeoutMs, opts.maxLineBytes ?? 16 * 1024 * 1024));
      });
    }).then(async (client) => {
      if (opts.secret !== undefined) {
        try {
          await client.call('jamulus/apiAuth', { secret: opts.secret });
        } catch (e) {
          client.close();
          throw e;
        }
      }
      return client;
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Resolves with `result` (undefined when the reply has none); rejects with RpcError on an error reply. */
  call<T = unknown>(method: string, params: Readonly<Record<string, unknown>> = {}, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.isClosed) return Promise.reject(new Error('JSON-RPC connection closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`JSON-RPC ${method} timed out`));
      }, opts.timeoutMs ?? this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.fail(new Error('JSON-RPC connection closed'));
  }

  private onLine(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.emit('unexpected', text);
      return;
    }
    // Batches are not sent by this client; an array reply is unexpected.
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.emit('unexpected', msg);
      return;
    }
    const m = msg as Record<string, unknown>;
    if (typeof m.method === 'string' && !('id' in m)) {
      const params = typeof m.params === 'object' && m.params !== null ? (m.params as Record<string, unknown>) : {};
      // A throwing listener must not stop the reading of later replies.
      try {
        this.emit('notification', m.method, params);
      } catch (e) {
        if (this.listenerCount('listenerError') > 0) this.emit('listenerError', e as Error);
        else console.error(`JSON-RPC notification ${m.method} listener failed:`, e);
      }
      return;
    }
    const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (!p) {
      this.emit('unexpected', msg);
      return;
    }
    this.pending.delete(m.id as number);
    clearTimeout(p.timer);
    const err = m.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    if (err && typeof err === 'object') {
      p.reject(new RpcError(typeof err.code === 'number' ? err.code : 0, String(err.message ?? 'error'), err.data));
    } else {
      p.resolve(m.result);
    }
  }

  private fail(e: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    if (!this.isClosed) {
      this.isClosed = true;
      this.socket.destroy();
      this.emit('close');
    }
  }
}
