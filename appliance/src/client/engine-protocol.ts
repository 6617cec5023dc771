// Messages between the main thread (engine-host.ts) and the client engine worker (engine-worker.ts).
import type { ClientEngineEvent } from './engine.js';
import type { WorkerToHost as WorkerToHostOf } from '../worker-bridge.js';
import type { ClientEngineOptions, ClientProfile } from './client-options.js';

export type EngineRequest = { id: number } & (
  | { method: 'getStats'; args: [] }
  | { method: 'getClients'; args: [] }
  | { method: 'getProfile'; args: [] }
  | { method: 'isConnected'; args: [] }
  | { method: 'setProfile'; args: [Partial<ClientProfile>] }
  | { method: 'setMix'; args: [ClientEngineOptions['mix']] }
  | { method: 'setMuted'; args: [boolean] }
  | { method: 'sendChat'; args: [string] }
  | { method: 'connect'; args: [string | undefined] }
  | { method: 'disconnect'; args: [] }
  | { method: 'configure'; args: [ClientEngineOptions] }
);

export type WorkerToHost = WorkerToHostOf<ClientEngineEvent>;
