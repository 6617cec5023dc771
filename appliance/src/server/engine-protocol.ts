// Messages between the main thread (engine-host.ts) and the engine worker (engine-worker.ts).
import type { EngineEvent } from './engine.js';
import type { WorkerToHost as WorkerToHostOf } from '../worker-bridge.js';
import type { RecorderStateValue } from '../recorder/recorder-facts.js';

export type EngineRequest = { id: number } & (
  | { method: 'getClients'; args: [] }
  | { method: 'getStats'; args: [] }
  | { method: 'setWelcomeMessage'; args: [string] }
  | { method: 'setServerInfo'; args: [{ name: string; city: string; country: number }] }
  | { method: 'broadcastChat'; args: [string] }
  | { method: 'sendClmTo'; args: [string, unknown, string, number] }
  | { method: 'setHolePunchSource'; args: [string | null] }
  | { method: 'setRecorder'; args: [{ state: RecorderStateValue; recording: boolean; newSession: boolean }] }
);

export type WorkerToHost = WorkerToHostOf<EngineEvent>;
