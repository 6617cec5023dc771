// Messages between the recorder's controller (main thread, recorder.ts) and its writer thread
// (recorder-worker.ts). The engine's tick talks to the writer only through the ring and the track port.
import type { MessagePort } from 'node:worker_threads';
import type { BitDepth } from './wav.js';
import type { EndReason } from './session-writer.js';

export interface WriterConfig {
  /** Where sessions go; null: not initialised, records are discarded. */
  dir: string | null;
  bits: BitDepth;
  /** Recording stops before free space falls below this. */
  reserveBytes: number;
  /** Recording stops when a session reaches this length. */
  maxSeconds: number;
}

export type ToWriter =
  | { type: 'configure'; config: WriterConfig }
  /** A new engine's track port (the old engine has stopped). */
  | { type: 'attach'; port: MessagePort }
  /** End the open session if its number is ≤ upTo (null: whatever is open), after taking every record; `id` asks for a 'finished' reply. */
  | { type: 'finish'; upTo: number | null; reason: EndReason; id?: number }
  /** Repair sessions a crash left unfinished in this folder. */
  | { type: 'repair'; dir: string }
  | { type: 'shutdown' };

export interface SessionProgress {
  path: string;
  name: string;
  number: number;
  seconds: number;
  bytes: number;
  droppedTicks: number;
  who: { name: string; channels: number; file: string }[];
}

export type FromWriter =
  | { type: 'ready'; tid: number }
  | { type: 'sessionStarted'; path: string; number: number }
  | { type: 'progress'; session: SessionProgress | null }
  | { type: 'sessionEnded'; path: string; number: number; reason: EndReason; seconds: number; error: string | null }
  /** The writer stopped recording by itself (free-space reserve, length limit, a failing disk). */
  | { type: 'stopped'; reason: 'reserve' | 'max-length' | 'error'; message: string }
  | { type: 'repaired'; dir: string; sessions: string[]; errors: string[] }
  /** A 'finish' with an id is done: every file it closed is closed. */
  | { type: 'finished'; id: number }
  | { type: 'closed' };
