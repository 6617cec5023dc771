// What the main thread may ask the server engine worker: the names of the ServerEngine methods (declared,
// with their doc comments, in engine.ts) that engine-host.ts forwards and engine-worker.ts serves.
import type { ServerEngine } from './engine.js';
import type { EngineEvent } from './engine-options.js';
import type { WorkerToHost as WorkerToHostOf } from '../worker-bridge.js';

export const SERVER_ENGINE_METHODS = [
  'getClients',
  'getStats',
  'setWelcomeMessage',
  'broadcastChat',
  'sendClmTo',
  'setHolePunchSource',
  'setRecorder',
] as const satisfies readonly (keyof ServerEngine)[];

export type ServerEngineApi = Pick<ServerEngine, (typeof SERVER_ENGINE_METHODS)[number]>;

export type WorkerToHost = WorkerToHostOf<EngineEvent>;
