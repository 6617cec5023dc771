// Line-delimited JSON-RPC 2.0, in the shape of Jamulus's API (protocol reference §8.1–8.2):
// `jamulus/apiAuth` first, the same error codes and messages, the same close-after-error cases,
// batches, and notifications only to authenticated connections. It listens on TCP loopback (the
// port Jamulus tooling dials) and/or a Unix socket (what riffbox's own services use: file
// permissions decide who may connect, the secret never crosses TCP, and a refused connection proves
// the service is not running).
//
// Deliberate likeness to Jamulus: a request without an `id` is answered too (Jamulus answers
// every request object), and a batch is answered as one array line.

import { createHash, timingSafeEqual } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { claimSocketPath } from './socket-path.js';
import { LineSplitter } from './line-splitter.js';
import { RpcError, RpcErrorCode } from './rpc-error.js';
import { stringifySorted } from './sorted-json.js';
import { checkSecret } from './secret.js';

export type RpcParams = Readonly<Record<string, unknown>>;

export interface RpcContext {
  /** Unique per connection for the server's lifetime. */
  readonly connectionId: number;
}

/**
 * Returns the result (or a promise of it). Throw RpcError for a chosen code, TypeError for bad
 * params (answered −32602). Returning undefined leaves `result` out, as Jamulus does for
 * `setSkillLevel(null)`.
 */
export type RpcHandler = (params: RpcParams, ctx: RpcContext) => unknown;

export interface JsonRpcServerOptions {
  /** TCP port on loopback; 0 picks a free port (read it from `port` after listen()); undefined: no TCP. */
  readonly port?: number;
  /** Unix socket path (mode 0660: the service's group may connect); undefined: no Unix socket. */
  readonly socketPath?: string;
  /** Loopback only: the channel changes settings and has one shared secret. */
  readonly host?: string;
  readonly secret: string;
  /** Longest accepted request line. Jamulus uses 16 KiB; riffbox's largest request (a 1600-character welcome message, every character \u-escaped) is under 10 kB. */
  readonly maxLineBytes?: number;
  readonly maxConnections?: number;
  /** A connection whose unread replies exceed this is dropped instead of buffering without end. */
  readonly maxPendingWriteBytes?: number;
  /** Where to report handler failures and rejected input; nothing is logged by default. */
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface JsonRpcServerStats {
  connections: number;
  totalConnections: number;
  rejectedConnections: number;
  requests: number;
  parseErrors: number;
  invalidRequests: number;
  oversizedLines: number;
  authFailures: number;
  unauthenticatedCalls: number;
  handlerErrors: number;
  droppedSlowConnections: number;
}

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly splitter: LineSplitter;
  authenticated: boolean;
  closing: boolean;
  queue: Promise<void>;
}

/** Notifications go to connections that authenticated and are not closing. */
function listens(c: Connection): boolean {
  return c.authenticated && !c.closing;
}

function someListen(connections: Iterable<Connection>): boolean {
  for (const c of connections) if (listens(c)) return true;
  return false;
}

type Reply = Record<string, unknown>;

const AUTH_METHOD = 'jamulus/apiAuth';

export class JsonRpcServer {
  readonly stats: JsonRpcServerStats = {
    connections: 0, totalConnections: 0, rejectedConnections: 0, requests: 0, parseErrors: 0, invalidRequests: 0,
    oversizedLines: 0, authFailures: 0, unauthenticatedCalls: 0, handlerErrors: 0, droppedSlowConnections: 0,
  };

  private readonly handlers = new Map<string, RpcHandler>();
  private readonly connections = new Set<Connection>();
  private readonly secretDigest: Buffer;
  private readonly listeners: Server[] = [];
  private readonly host: string;
  private readonly maxLineBytes: number;
  private readonly maxConnections: number;
  private readonly maxPendingWriteBytes: number;
  private readonly log: NonNullable<JsonRpcServerOptions['log']>;
  private nextId = 1;
  private boundPort = 0;

  constructor(private readonly opts: JsonRpcServerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    if (!isLoopback(this.host)) throw new TypeError(`JSON-RPC must listen on loopback, not ${this.host}`);
    if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) {
      throw new TypeError(`invalid JSON-RPC port ${opts.port}`);
    }
    if (opts.port === undefined && opts.socketPath === undefined) throw new TypeError('JSON-RPC needs a port or a socket path');
    checkSecret(opts.secret, 'the JSON-RPC options');
    this.secretDigest = digest(opts.secret);
    this.maxLineBytes = opts.maxLineBytes ?? 16 * 1024;
    this.maxConnections = opts.maxConnections ?? 32;
    this.maxPendingWriteBytes = opts.maxPendingWriteBytes ?? 4 * 1024 * 1024;
    this.log = opts.log ?? (() => {});
  }

  /** Starts listening on every configured endpoint; resolves with the bound TCP port (0 without TCP). */
  async listen(): Promise<number> {
    try {
      if (this.opts.socketPath !== undefined) {
        const path = this.opts.socketPath;
        await claimSocketPath(path);
        await this.listenOn(path, (s, done) => s.listen(path, done));
        // Group members (the admin) connect; the unit's umask would leave the socket owner-only.
        chmodSync(path, 0o660);
        this.log('info', `JSON-RPC listening on ${path}`);
      }
      if (this.opts.port !== undefined) {
        const port = this.opts.port;
        const s = await this.listenOn(`${this.host}:${port}`, (srv, done) => srv.listen(port, this.host, done));
        this.boundPort = (s.address() as AddressInfo).port;
        this.log('info', `JSON-RPC listening on ${this.host}:${this.boundPort}`);
      }
    } catch (e) {
      await this.close();
      throw e;
    }
    return this.boundPort;
  }

  private listenOn(where: string, start: (s: Server, done: () => void) => void): Promise<Server> {
    const server = createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(new Error(`JSON-RPC cannot listen on ${where}: ${e.message}`));
      server.once('error', onError);
      start(server, () => {
        server.off('error', onError);
        server.on('error', (e) => this.log('error', `JSON-RPC listener ${where}: ${e.message}`));
        this.listeners.push(server);
        resolve(server);
      });
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get socketPath(): string | undefined {
    return this.opts.socketPath;
  }

  register(method: string, handler: RpcHandler): void {
    if (method === AUTH_METHOD) throw new TypeError(`${AUTH_METHOD} is built in`);
    if (this.handlers.has(method)) throw new TypeError(`JSON-RPC method ${method} is already registered`);
    this.handlers.set(method, handler);
  }

  /** Sends a notification to every authenticated connection. */
  notify(method: string, params: Readonly<Record<string, unknown>> = {}): void {
    // Level lists arrive several times a second: nothing is serialised while nobody listens.
    if (!someListen(this.connections)) return;
    let line: string;
    try {
      line = stringifySorted({ jsonrpc: '2.0', method, params }) + '\n';
    } catch (e) {
      this.log('error', `JSON-RPC notification ${method} cannot be serialised: ${(e as Error).message}`);
      return;
    }
    for (const c of this.connections) {
      if (listens(c)) this.write(c, line);
    }
  }

  /** Stops listening (a Unix socket's file goes with it) and closes every connection. */
  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    const servers = this.listeners.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }

  // ---- connections ----

  private accept(socket: Socket): void {
    if (this.connections.size >= this.maxConnections) {
      this.stats.rejectedConnections++;
      socket.destroy();
      return;
    }
    const conn: Connection = {
      id: this.nextId++, socket, splitter: new LineSplitter(this.maxLineBytes), authenticated: false, closing: false, queue: Promise.resolve(),
    };
    this.connections.add(conn);
    this.stats.connections++;
    this.stats.totalConnections++;
    socket.setNoDelay(true);
    // A reset by the peer is normal on loopback; it must never reach the process as an uncaught error.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.connections.delete(conn);
      this.stats.connections--;
    });
    socket.on('data', (chunk: Buffer) => {
      if (conn.closing) return;
      conn.splitter.push(chunk, {
        line: (bytes) => {
          conn.queue = conn.queue.then(() => this.handleLine(conn, bytes)).catch((e: unknown) => {
            this.log('error', `JSON-RPC connection ${conn.id}: ${(e as Error).message}`);
          });
          return !conn.closing;
        },
        oversized: () => {
          this.stats.oversizedLines++;
          this.log('warn', `JSON-RPC connection ${conn.id}: request longer than ${this.maxLineBytes} bytes dropped`);
          conn.queue = conn.queue.then(() => {
            this.send(conn, errorReply(RpcErrorCode.PARSE_ERROR, `Parse error: Request exceeds maximum size of ${this.maxLineBytes} bytes`));
          });
          return true;
        },
      });
    });
  }

  private write(c: Connection, line: string): void {
    if (c.socket.destroyed) return;
    if (c.socket.writableLength > this.maxPendingWriteBytes) {
      this.stats.droppedSlowConnections++;
      this.log('warn', `JSON-RPC connection ${c.id} does not read its replies; dropped`);
      c.closing = true;
      c.socket.destroy();
      return;
    }
    c.socket.write(line);
  }

  private send(c: Connection, reply: unknown): void {
    if (c.closing) return;
    let line: string;
    try {
      line = stringifySorted(reply);
    } catch (e) {
      // A handler returned something JSON cannot hold (a BigInt, a cycle): answer, don't hang the caller.
      this.stats.handlerErrors++;
      this.log('error', `JSON-RPC reply cannot be serialised: ${(e as Error).message}`);
      const ids = (Array.isArray(reply) ? reply : [reply]) as Reply[];
      const errors = ids.map((r) => ({ ...errorReply(RpcErrorCode.INTERNAL_ERROR, 'Internal error: result cannot be serialised'), ...('id' in r ? { id: r.id } : {}) }));
      line = stringifySorted(Array.isArray(reply) ? errors : errors[0]);
    }
    this.write(c, line + '\n');
  }

  /** Answers, then closes the connection, as Jamulus does after input it cannot trust. */
  private sendAndClose(c: Connection, reply: Reply | undefined): void {
    if (reply) this.send(c, reply);
    c.closing = true;
    c.socket.end(() => c.socket.destroy());
  }

  private async handleLine(c: Connection, bytes: Buffer): Promise<void> {
    if (c.closing) return;
    const text = bytes.toString('utf8');
    if (text.trim() === '') {
      this.stats.parseErrors++;
      this.send(c, errorReply(RpcErrorCode.PARSE_ERROR, 'Parse error: Blank line received'));
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      this.stats.parseErrors++;
      this.sendAndClose(c, errorReply(RpcErrorCode.PARSE_ERROR, 'Parse error: Invalid JSON received'));
      return;
    }

    if (Array.isArray(doc)) {
      if (doc.length === 0) {
        this.stats.invalidRequests++;
        this.sendAndClose(c, errorReply(RpcErrorCode.INVALID_REQUEST, 'Invalid request: Empty batch request encountered'));
        return;
      }
      // Jamulus closes without a reply when a batch holds a non-object. Checking first means
      // none of the batch runs, rather than the items before the bad one.
      if (!doc.every(isPlainObject)) {
        this.stats.invalidRequests++;
        this.sendAndClose(c, undefined);
        return;
      }
      const replies: Reply[] = [];
      for (const item of doc as Record<string, unknown>[]) replies.push(await this.process(c, item));
      this.send(c, replies);
      return;
    }
    if (isPlainObject(doc)) {
      this.send(c, await this.process(c, doc));
      return;
    }
    this.stats.invalidRequests++;
    this.sendAndClose(
      c,
      errorReply(RpcErrorCode.INVALID_REQUEST, 'Invalid request: Unrecognized JSON; a request must be either an object or an array'),
    );
  }

  private async process(c: Connection, msg: Record<string, unknown>): Promise<Reply> {
    this.stats.requests++;
    const reply: Reply = { jsonrpc: '2.0' };
    if ('id' in msg) reply.id = msg.id;
    const fail = (code: number, message: string, data?: unknown): Reply => {
      reply.error = data === undefined ? { code, message } : { code, message, data };
      return reply;
    };

    if (typeof msg.method !== 'string') {
      this.stats.invalidRequests++;
      return fail(RpcErrorCode.INVALID_REQUEST, 'Invalid request: The `method` member is not a string');
    }
    if (!isPlainObject(msg.params)) {
      this.stats.invalidRequests++;
      return fail(RpcErrorCode.INVALID_PARAMS, 'Invalid params: The `params` member is not an object');
    }
    const params = msg.params;
    const method = msg.method;

    if (method === AUTH_METHOD) {
      if (typeof params.secret !== 'string') return fail(RpcErrorCode.INVALID_PARAMS, 'Invalid params: secret is not a string');
      // Compare digests so the time taken says nothing about how much of the secret matched.
      if (timingSafeEqual(digest(params.secret), this.secretDigest)) {
        c.authenticated = true;
        reply.result = 'ok';
        return reply;
      }
      this.stats.authFailures++;
      this.log('warn', `JSON-RPC connection ${c.id}: wrong secret`);
      return fail(RpcErrorCode.AUTHENTICATION_FAILED, 'Authentication failed.');
    }
    if (!c.authenticated) {
      this.stats.unauthenticatedCalls++;
      return fail(RpcErrorCode.UNAUTHENTICATED, 'Unauthenticated: Please authenticate using jamulus/apiAuth first');
    }
    const handler = this.handlers.get(method);
    if (!handler) return fail(RpcErrorCode.METHOD_NOT_FOUND, 'Method not found');

    try {
      const result = await handler(params, { connectionId: c.id });
      if (result !== undefined) reply.result = result;
      return reply;
    } catch (e) {
      if (e instanceof RpcError) return fail(e.code, e.message, e.data);
      if (e instanceof TypeError) return fail(RpcErrorCode.INVALID_PARAMS, `Invalid params: ${e.message}`);
      this.stats.handlerErrors++;
      const message = e instanceof Error ? e.message : String(e);
      this.log('error', `JSON-RPC ${method} failed: ${e instanceof Error && e.stack ? e.stack : message}`);
      return fail(RpcErrorCode.INTERNAL_ERROR, `Internal error: ${message}`);
    }
  }
}

function errorReply(code: number, message: string): Reply {
  return { jsonrpc: '2.0', error: { code, message } };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
