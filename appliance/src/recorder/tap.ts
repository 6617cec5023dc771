// The recorder's hook in the server engine: each tick, the decoded frame of every musician heard goes into the
// shared ring (ring.ts), nothing more. Who a slot's musician is travels on a message port, only when it
// changes; the writer thread does everything else. Sessions are numbered here, so the writer can tell where one
// ends from the records themselves.
import type { MessagePort } from 'node:worker_threads';
import { RingWriter } from './ring.js';

/** What the engine posts about a slot; `epoch` changes when a new connection takes the slot. */
export interface TrackMeta {
  slot: number;
  epoch: number;
  address?: string;
  port?: number;
  name?: string;
}

/** The ring and the port, as the engine's worker receives them. */
export interface RecorderLink {
  ring: SharedArrayBuffer;
  port: MessagePort;
  /** Record from the first tick (the recorder was enabled when this engine started). */
  recording: boolean;
}

export class RecordingTap {
  private readonly ring: RingWriter;
  private readonly epochs: Int32Array;
  private active = false;
  private session = 0;
  private tick = 0;
  /** Entries in the last committed record: an empty record is written once, to close the tracks. */
  private lastEntries = 0;
  private open = false;

  constructor(
    link: RecorderLink,
    maxClients: number,
    private readonly port: MessagePort,
  ) {
    this.ring = new RingWriter(link.ring, maxClients);
    this.epochs = new Int32Array(maxClients);
    if (link.recording) this.set(true, false);
  }

  get recording(): boolean {
    return this.active;
  }

  /**
   * Starts, stops or renews the session. Returns the number of the session that ended, or −1. A session
   * that recorded nothing ends too; the writer simply has nothing of it.
   */
  set(recording: boolean, newSession: boolean): number {
    let ended = -1;
    if (recording && (!this.active || newSession)) {
      if (this.active) ended = this.session;
      this.active = true;
      this.session = this.ring.nextSession();
      this.tick = 0;
      this.lastEntries = 0;
    } else if (!recording && this.active) {
      ended = this.session;
      this.active = false;
    }
    return ended;
  }

  /** The last musician left: the session ends (Jamulus ends it when its server stops). */
  idle(): number {
    return this.active ? this.set(true, true) : -1;
  }

  /** A new connection in a slot: its files start afresh even if the same musician comes back. */
  connected(slot: number, address: string, port: number): void {
    const epoch = (this.epochs[slot]! + 1) & 0x7fff;
    this.epochs[slot] = epoch;
    this.post({ slot, epoch, address, port });
  }

  named(slot: number, name: string): void {
    this.post({ slot, epoch: this.epochs[slot]!, name });
  }

  // ---- per tick (allocation-free) ----

  beginTick(frameSamples: number): boolean {
    if (!this.active) return false;
    const tick = this.tick++;
    this.open = this.ring.begin(this.session, tick, frameSamples);
    return this.open;
  }

  add(slot: number, channels: 1 | 2, pcm: Int16Array): void {
    this.ring.add(slot, this.epochs[slot]!, channels, pcm);
  }

  endTick(): void {
    if (!this.open) return;
    this.open = false;
    const n = this.ring.count;
    // Ticks in which nobody is heard are left out, after one empty record that closes the open tracks.
    if (n === 0 && this.lastEntries === 0) return;
    this.ring.commit();
    this.lastEntries = n;
  }

  private post(m: TrackMeta): void {
    this.port.postMessage(m);
  }
}
