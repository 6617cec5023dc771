// Both ends of an engine worker (the server's): the main thread's side starts it and waits for its ready line,
// sends it requests and matches the answers by id, re-emits its events, and stops it; the worker's side
// answers the requests between its loop's turns. An engine declares each method once, on its class, with its
// doc comment; a list of their names (the engine's API) gives the host one promise-returning method each
// (remoteEngine) and the worker the dispatch (serveRequests).
import { EventEmitter } from 'node:events';
import { Worker, receiveMessageOnPort, type MessagePort, type Transferable } from 'node:worker_threads';

/** An engine's methods as another thread calls them: the same arguments, the result as a promise. */
type Remote<Api> = {
  [K in keyof Api]: Api[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

type Args<F> = F extends (...args: infer A) => unknown ? A : never;

/** A request on the wire; `stop` ends the worker's loop. */
type Request = { id: number; method: string; args?: unknown[] };

export type WorkerToHost<Ev> =
  | { type: 'ready'; port: number; family?: 4 | 6 }
  | { type: 'failed'; code: string; message: string }
  | { type: 'result'; id: number; value?: unknown; error?: string }
  | { type: 'event'; payload: Ev };

/** The worker could not start (e.g. its UDP port is taken); `code` is the errno name. */
export class EngineStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineStartError';
  }
}

const STOP_GRACE_MS = 3000;

class WorkerBridge<Ev, Api> extends EventEmitter<{ event: [Ev]; exit: [number] }> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** The UDP port the engine bound (from its ready message). */
  port = 0;
  /** 6 when its socket is dual-stack IPv6 (IPv4 peers too), 4 when IPv4 only. */
  family: 4 | 6 = 4;

  /**
   * @param label names the engine in errors and logs ("server engine")
   * @param script the worker's compiled entry (new URL('./engine-worker.js', import.meta.url))
   */
  constructor(
    private readonly label: string,
    private readonly script: URL,
  ) {
    super();
  }

  /** `transferList`: what moves into the worker with workerData (a MessagePort) rather than being copied. */
  start(workerData: unknown, transferList: Transferable[] = []): Promise<number> {
    const worker = new Worker(this.script, { workerData, transferList });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerToHost<Ev>) => {
        switch (m.type) {
          case 'ready':
            this.port = m.port;
            this.family = m.family ?? 4;
            resolve(m.port);
            return;
          case 'failed':
            reject(new EngineStartError(m.code, m.message));
            void worker.terminate();
            return;
          case 'result': {
            const p = this.pending.get(m.id);
            if (!p) return;
            this.pending.delete(m.id);
            if (m.error !== undefined) p.reject(new Error(m.error));
            else p.resolve(m.value);
            return;
          }
          case 'event':
            this.emit('event', m.payload);
            return;
        }
      });
      worker.on('error', (err) => {
        // An exception escaped the engine: say what it was, the exit that follows only carries a code.
        console.error(`riffbox: ${this.label} error: ${err.stack ?? err.message}`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = null;
        for (const p of this.pending.values()) p.reject(new Error(`${this.label} exited with code ${code}`));
        this.pending.clear();
        this.emit('exit', code);
      });
    });
  }

  request<K extends keyof Api & string>(method: K, ...args: Args<Api[K]>): Promise<unknown> {
    const w = this.worker;
    if (!w) return Promise.reject(new Error(`${this.label} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, method, args });
    });
  }

  /** Asks the engine to stop (it says goodbye to its peers and closes its socket) and waits for the worker. */
  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const id = this.nextId++;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ id, method: 'stop' });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    await Promise.race([exited, timeout]);
    if (this.worker === w) await w.terminate();
  }
}

/**
 * A WorkerBridge class with one promise-returning method per name in `methods`, each forwarding its arguments
 * to the engine method of that name in the worker.
 */
export function remoteEngine<Ev, Api>(
  methods: readonly (keyof Api & string)[],
): new (label: string, script: URL) => WorkerBridge<Ev, Api> & Remote<Api> {
  class RemoteEngine extends WorkerBridge<Ev, Api> {
    constructor(label: string, script: URL) {
      super(label, script);
      for (const m of methods) {
        Object.defineProperty(this, m, { value: (...args: unknown[]) => this.request(m, ...(args as Args<Api[typeof m]>)) });
      }
    }
  }
  return RemoteEngine as new (label: string, script: URL) => WorkerBridge<Ev, Api> & Remote<Api>;
}

/**
 * The worker's side: answers every request queued on `port` by calling the engine method of that name (only
 * those in `methods`), posting the result or the error's message. Returns false once asked to stop, after
 * `stop()` ran and its answer went out. Called by the engine's loop between turns, so nothing here waits.
 */
export function serveRequests<Ev, Api>(port: MessagePort, engine: Api, methods: ReadonlySet<string>, stop: () => void): boolean {
  const post = (m: WorkerToHost<Ev>): void => port.postMessage(m);
  for (;;) {
    const got = receiveMessageOnPort(port) as { message: Request } | undefined;
    if (!got) return true;
    const req = got.message;
    if (req.method === 'stop') {
      stop();
      post({ type: 'result', id: req.id, value: null });
      return false;
    }
    try {
      if (!methods.has(req.method)) throw new Error(`no engine method ${req.method}`);
      const fn = (engine as Record<string, (...a: unknown[]) => unknown>)[req.method]!;
      post({ type: 'result', id: req.id, value: fn.apply(engine, req.args ?? []) ?? null });
    } catch (e) {
      post({ type: 'result', id: req.id, error: (e as Error).message });
    }
  }
}
