// Main-thread handle on the client engine worker: starts it, forwards control calls, re-emits its events.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { ClientEngineEvent } from './engine.js';
import type { ClientEngineOptions, ClientProfile, ClientStats, RemoteClient } from './client-options.js';
import type { EngineRequest, WorkerToHost } from './engine-protocol.js';

type Method = EngineRequest['method'];
type ArgsOf<M extends Method> = Extract<EngineRequest, { method: M }>['args'];

export class ClientEngineHost extends EventEmitter<{ event: [ClientEngineEvent]; exit: [number] }> {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Local UDP port the engine sends from. */
  port = 0;

  constructor(private options: ClientEngineOptions) {
    super();
  }

  /** Starts the worker (again, after an unexpected exit, with `options` if given). */
  start(options?: ClientEngineOptions): Promise<number> {
    if (options) this.options = options;
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
            reject(new Error(`${m.code}: ${m.message}`));
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
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      worker.on('exit', (code) => {
        this.worker = null;
        for (const p of this.pending.values()) p.reject(new Error(`client engine exited with code ${code}`));
        this.pending.clear();
        this.emit('exit', code);
      });
    });
  }

  private request<M extends Method>(method: M, ...args: ArgsOf<M>): Promise<unknown> {
    const w = this.worker;
    if (!w) return Promise.reject(new Error('client engine is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, method, args });
    });
  }

  getStats(): Promise<ClientStats> {
    return this.request('getStats') as Promise<ClientStats>;
  }
  getClients(): Promise<RemoteClient[]> {
    return this.request('getClients') as Promise<RemoteClient[]>;
  }
  getProfile(): Promise<ClientProfile> {
    return this.request('getProfile') as Promise<ClientProfile>;
  }
  isConnected(): Promise<boolean> {
    return this.request('isConnected') as Promise<boolean>;
  }
  setProfile(patch: Partial<ClientProfile>): Promise<ClientProfile> {
    return this.request('setProfile', patch) as Promise<ClientProfile>;
  }
  setMix(mix: ClientEngineOptions['mix']): Promise<void> {
    return this.request('setMix', mix) as Promise<void>;
  }
  setMuted(muted: boolean): Promise<void> {
    return this.request('setMuted', muted) as Promise<void>;
  }
  sendChat(text: string): Promise<boolean> {
    return this.request('sendChat', text) as Promise<boolean>;
  }
  connect(server?: string): Promise<void> {
    return this.request('connect', server) as Promise<void>;
  }
  disconnect(): Promise<void> {
    return this.request('disconnect') as Promise<void>;
  }
  configure(options: ClientEngineOptions): Promise<void> {
    this.options = options;
    return this.request('configure', options) as Promise<void>;
  }

  /** Disconnects cleanly, closes the device and socket, and waits for the worker to exit. */
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
