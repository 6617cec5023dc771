// Main-thread handle on the server engine worker: one promise-returning method per ServerEngine method named
// in engine-protocol.ts, over the shared worker bridge.
import type { EngineEvent, ServerEngineOptions } from './engine-options.js';
import { SERVER_ENGINE_METHODS, type ServerEngineApi } from './engine-protocol.js';
import { remoteEngine } from '../worker-bridge.js';

export { EngineStartError } from '../worker-bridge.js';

export class ServerEngineHost extends remoteEngine<EngineEvent, ServerEngineApi>(SERVER_ENGINE_METHODS) {
  constructor(readonly options: ServerEngineOptions) {
    super('server engine', new URL('./engine-worker.js', import.meta.url));
  }

  override start(): Promise<number> {
    // The recorder's track port moves into the worker; the ring is shared, not moved.
    return super.start(this.options, this.options.recorder ? [this.options.recorder.port] : []);
  }
}
