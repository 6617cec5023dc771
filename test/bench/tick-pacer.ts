// The load generator's frame clock: a worker thread sleeps to absolute deadlines (Atomics.wait, under
// SCHED_FIFO where permitted) and wakes the creating thread once per period; when that thread was busy,
// periods are coalesced and the callback receives how many came due. Only the benchmark paces with a timer:
// riffbox's own engines are paced by their sockets' timers and the audio device.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { native } from '../../appliance/src/audio/native.js';

/** Priority of the pacing thread, as the server engine's (60). */
const PACER_PRIORITY = 60;

// Shared words: [0] stop flag, [1] periods due and not yet delivered, [2] a wake-up is pending, [3] realtime.
const STOP = 0;
const DUE = 1;
const PENDING = 2;
const REALTIME = 3;

export class TickPacer {
  private readonly shared = new Int32Array(new SharedArrayBuffer(16));
  private worker: Worker | null = null;

  constructor(
    private readonly periodNs: number,
    private readonly onTicks: (due: number) => void,
  ) {}

  /** Whether the pacing thread got SCHED_FIFO. */
  get realtime(): boolean {
    return Atomics.load(this.shared, REALTIME) === 1;
  }

  start(): void {
    if (this.worker) return;
    const w = new Worker(new URL(import.meta.url), { workerData: { shared: this.shared, periodNs: this.periodNs } });
    w.on('message', () => {
      Atomics.store(this.shared, PENDING, 0);
      const due = Atomics.exchange(this.shared, DUE, 0);
      if (due > 0) this.onTicks(due);
    });
    this.worker = w;
  }

  stop(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    Atomics.store(this.shared, STOP, 1);
    Atomics.notify(this.shared, STOP);
    void w.terminate();
  }
}

if (!isMainThread && parentPort) {
  const { shared, periodNs } = workerData as { shared: Int32Array; periodNs: number };
  const port = parentPort;
  Atomics.store(shared, REALTIME, native.setThreadRealtime(PACER_PRIORITY) ? 1 : 0);
  let next = native.monotonicNowNs() + periodNs;
  for (;;) {
    const waitMs = (next - native.monotonicNowNs()) / 1e6;
    if (waitMs > 0) Atomics.wait(shared, STOP, 0, waitMs);
    if (Atomics.load(shared, STOP) !== 0) break;
    const now = native.monotonicNowNs();
    if (now < next) continue;
    const due = Math.floor((now - next) / periodNs) + 1;
    next += due * periodNs;
    Atomics.add(shared, DUE, due);
    if (Atomics.compareExchange(shared, PENDING, 0, 1) === 0) port.postMessage(0);
  }
}
