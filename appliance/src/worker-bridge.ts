// The main thread's side of an engine worker (server or client): start it and wait for its ready line, send it
// requests and match the answers by id, re-emit its events, and stop it. The worker side answers with the
// messages below; what the requests mean is each engine's own business.
import { EventEmitter } from 'node:events';
import { Worker, type Transferable } from 'node:worker_threads';

export type WorkerToHost<Ev> =
  | { type: 'ready'; port: number }
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

export class WorkerBridge<Ev, Req extends { method: string; args: unknown[] }> extends EventEmitter<{ event: [Ev]; exit: [number] }> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** The UDP port the engine bound (from its ready message). */
  port = 0;

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

  start(workerData: unknown, transferList: Transferable[] = []): Promise<number> {
    const worker = new Worker(this.script, { workerData, transferList });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerToHost<Ev>) => {
        switch (m.type) {
          case 'ready':
            this.port = m.port;
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

  request<M extends Req['method']>(method: M, ...args: Extract<Req, { method: M }>['args']): Promise<unknown> {
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
