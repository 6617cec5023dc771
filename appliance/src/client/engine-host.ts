// Main-thread handle on the client engine worker: typed calls over the shared worker bridge.
import type { ClientEngineEvent } from './engine.js';
import type { ClientEngineOptions, ClientProfile, ClientStats, RemoteClient } from './client-options.js';
import type { EngineRequest } from './engine-protocol.js';
import { WorkerBridge } from '../worker-bridge.js';

export class ClientEngineHost extends WorkerBridge<ClientEngineEvent, EngineRequest> {
  constructor(private options: ClientEngineOptions) {
    super('client engine', new URL('./engine-worker.js', import.meta.url));
  }

  /** Starts the worker (again, after an unexpected exit, with `options` if given). */
  override start(options?: ClientEngineOptions): Promise<number> {
    if (options) this.options = options;
    return super.start(this.options);
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
}
