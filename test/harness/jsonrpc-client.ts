// A line-delimited JSON-RPC 2.0 client over TCP, as spoken by Jamulus's --jsonrpcport (and by
// riffbox's control port): one JSON object per line each way; responses carry the request id,
// notifications carry a method and no id.
import { connect as tcpConnect, Socket } from 'node:net';
import { EventEmitter } from 'node:events';

export interface Notification {
  method: string;
  params: Record<string, unknown>;
}

/** A JSON-RPC error response, thrown by call(). */
export class JsonRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  readonly method: string;
  constructor(method: string, code: number, message: string, data?: unknown) {
    super(`${method}: JSON-RPC error ${code}: ${message}`);
    this.name = 'JsonRpcError';
    this.method = method;
    this.code = code;
    this.data = data;
  }
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Events: 'notification' (Notification), 'close' (), 'protocolError' (Error: an unparsable line or
 * a reply nobody waits for; also collected in `protocolErrors`).
 */
export class JsonRpcClient extends EventEmitter {
  readonly port: number;
  private readonly socket: Socket;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** Every notification received, in order (tests look back at what already arrived). */
  readonly notifications: Notification[] = [];
  /** Lines that were not valid JSON-RPC or replies that matched no request. */
  readonly protocolErrors: Error[] = [];
  /** Per-call timeout. */
  callTimeoutMs = 5000;

  private constructor(socket: Socket, port: number) {
    super();
    this.socket = socket;
    this.port = port;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.onClose(new Error(`JSON-RPC connection to port ${port} closed`)));
    socket.on('error', (e) => this.onClose(e));
  }

  /** Opens a TCP connection to 127.0.0.1:port. */
  static open(port: number, timeoutMs = 5000): Promise<JsonRpcClient> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ port, host: '127.0.0.1' });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`JSON-RPC connect to port ${port} timed out`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new JsonRpcClient(socket, port));
      });
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.emitError(new Error(`JSON-RPC: unparsable line from port ${this.port}: ${line.slice(0, 200)}`));
      return;
    }
    // Batch replies arrive as arrays; each element is handled like a single reply.
    for (const m of Array.isArray(msg) ? msg : [msg]) this.onMessage(m as Record<string, unknown>);
  }

  private onMessage(m: Record<string, unknown>): void {
    if (typeof m.method === 'string' && m.id === undefined) {
      const n: Notification = { method: m.method, params: (m.params as Record<string, unknown>) ?? {} };
      this.notifications.push(n);
      this.emit('notification', n);
      return;
    }
    const id = typeof m.id === 'number' ? m.id : null;
    const p = id === null ? undefined : this.pending.get(id);
    if (!p) {
      // Error replies without an id (parse errors) cannot be matched; surface them.
      this.emitError(new Error(`JSON-RPC: unmatched reply from port ${this.port}: ${JSON.stringify(m)}`));
      return;
    }
    this.pending.delete(id!);
    clearTimeout(p.timer);
    if (m.error) {
      const e = m.error as { code: number; message: string; data?: unknown };
      p.reject(new JsonRpcError(p.method, e.code, e.message, e.data));
    } else {
      p.resolve(m.result);
    }
  }

  private emitError(e: Error): void {
    // Not 'error': without a listener that event would throw out of the socket callback.
    this.protocolErrors.push(e);
    this.emit('protocolError', e);
  }

  private onClose(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.method}: ${e.message}`));
    }
    this.pending.clear();
    this.emit('close');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends a request and resolves with its result; a JSON-RPC error rejects with JsonRpcError. */
  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${method}: JSON-RPC connection to port ${this.port} is closed`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no JSON-RPC reply from port ${this.port} within ${this.callTimeoutMs} ms`));
      }, this.callTimeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  /**
   * Resolves with the first notification `method` whose params satisfy `predicate` — including
   * one that already arrived since `since` (an index into `notifications`, default: only new ones).
   */
  waitForNotification(method: string, predicate: (params: Record<string, unknown>) => boolean = () => true, timeoutMs = 10000, since = this.notifications.length): Promise<Notification> {
    for (let i = since; i < this.notifications.length; i++) {
      const n = this.notifications[i]!;
      if (n.method === method && predicate(n.params)) return Promise.resolve(n);
    }
    return new Promise((resolve, reject) => {
      const onN = (n: Notification): void => {
        if (n.method !== method) return;
        let ok = false;
        try {
          ok = predicate(n.params);
        } catch (e) {
          done();
          reject(e as Error);
          return;
        }
        if (ok) {
          done();
          resolve(n);
        }
      };
      const onClose = (): void => {
        done();
        reject(new Error(`waiting for ${method}: JSON-RPC connection to port ${this.port} closed`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${method} notification matching the predicate within ${timeoutMs} ms on port ${this.port}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.off('notification', onN);
        this.off('close', onClose);
      };
      this.on('notification', onN);
      this.on('close', onClose);
    });
  }

  close(): void {
    this.onClose(new Error('closed by the test'));
    this.socket.destroy();
  }
}

/**
 * Connects and authenticates with `jamulus/apiAuth`. Retries the TCP connect until `timeoutMs`
 * (the server may still be starting).
 */
export async function connect(port: number, secret: string, timeoutMs = 10000): Promise<JsonRpcClient> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const c = await JsonRpcClient.open(port, Math.max(500, deadline - Date.now()));
      try {
        await c.call('jamulus/apiAuth', { secret });
      } catch (e) {
        c.close();
        throw e;
      }
      return c;
    } catch (e) {
      lastError = e;
      if (e instanceof JsonRpcError || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`JSON-RPC connect/auth on port ${port} failed: ${(lastError as Error)?.message ?? lastError}`);
}
