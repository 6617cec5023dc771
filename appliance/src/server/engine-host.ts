// Main-thread handle on the server engine worker: typed calls over the shared worker bridge.
import type { ClientSummary, EngineStats, ServerEngineOptions } from './engine-options.js';
import type { EngineEvent } from './engine.js';
import type { EngineRequest } from './engine-protocol.js';
import { WorkerBridge } from '../worker-bridge.js';
import type { RecorderStateValue } from '../recorder/recorder-facts.js';

export { EngineStartError } from '../worker-bridge.js';

export class ServerEngineHost extends WorkerBridge<EngineEvent, EngineRequest> {
  constructor(readonly options: ServerEngineOptions) {
    super('server engine', new URL('./engine-worker.js', import.meta.url));
  }

  override start(): Promise<number> {
    // The recorder's track port moves into the worker; the ring is shared, not moved.
    return super.start(this.options, this.options.recorder ? [this.options.recorder.port] : []);
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
  /** Returns the number of the recording session that ended, or −1. */
  setRecorder(o: { state: RecorderStateValue; recording: boolean; newSession: boolean }): Promise<number> {
    return this.request('setRecorder', o) as Promise<number>;
  }
}
