// Main-thread handle on the engine worker: starts it, forwards control calls, and re-emits its events.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { ClientSummary, EngineStats, ServerEngineOptions } from './engine-options.js';
import type { EngineEvent } from './engine.js';
import type { EngineRequest, WorkerToHost } from './engine-protocol.js';

type Method = EngineRequest['method'];
type ArgsOf<M extends Method> = Extract<EngineRequest, { method: M }>['args'];

export class EngineStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ServerEngineHost extends EventEmitter<{ event: [EngineEvent]; exit: [number] }> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  port = 0;

  constructor(readonly options: ServerEngineOptions) {
    super();
  }

  start(): Promise<number> {
    const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: this.options });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerToHost) => {
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
        console.error(`riffbox server: engine error: ${err.stack ?? err.message}`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      worker.on('exit', (code) => {
        this.worker = null;
        for (const p of this.pending.values()) p.reject(new Error(`engine exited with code ${code}`));
        this.pending.clear();
        this.emit('exit', code);
      });
    });
  }

  private request<M extends Method>(method: M, ...args: ArgsOf<M>): Promise<unknown> {
    const w = this.worker;
    if (!w) return Promise.reject(new Error('server engine is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, method, args });
    });
  }

  getClients(): Promise<ClientSummary[]> {
    return this.request('getClients') as Promise<ClientSummary[]>;
  }
  getStats(): Promise<EngineStats> {
    return this.request('getStats') as Promise<EngineStats>;
  }
  setWelcomeMessage(text: string): Promise<void> {
    return this.request('setWelcomeMessage', text) as Promise<void>;
  }
  setServerInfo(info: { name: string; city: string; country: number }): Promise<void> {
    return this.request('setServerInfo', info) as Promise<void>;
  }
  broadcastChat(text: string): Promise<void> {
    return this.request('broadcastChat', text) as Promise<void>;
  }
  sendClmTo(name: string, value: unknown, address: string, port: number): Promise<void> {
    return this.request('sendClmTo', name, value, address, port) as Promise<void>;
  }
  setHolePunchSource(address: string | null): Promise<void> {
    return this.request('setHolePunchSource', address) as Promise<void>;
  }

  /** Stops the engine (unbinding the port) and waits for the worker to exit. */
  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const id = this.nextId++;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ id, method: 'stop' });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000).unref());
    await Promise.race([exited, timeout]);
    if (this.worker) await this.worker.terminate();
  }
}
