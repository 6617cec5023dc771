// Mixdowns the admin is making: one at a time (each reads a whole session from the card), the rest queued, and
// each one's progress for the page to poll.
import { Worker } from 'node:worker_threads';

export interface MixdownJob {
  state: 'queued' | 'running' | 'done' | 'failed';
  fraction: number;
  error: string;
}

export class MixdownJobs {
  private readonly jobs = new Map<string, MixdownJob>();
  private readonly queue: { dir: string; name: string }[] = [];
  private running = false;

  get(dir: string): MixdownJob | undefined {
    return this.jobs.get(dir);
  }

  /** Queues a mixdown of the session in `dir` unless one is queued or running. */
  request(dir: string, name: string): MixdownJob {
    const job = this.jobs.get(dir);
    if (job && (job.state === 'queued' || job.state === 'running')) return job;
    const fresh: MixdownJob = { state: 'queued', fraction: 0, error: '' };
    this.jobs.set(dir, fresh);
    this.queue.push({ dir, name });
    this.next();
    return fresh;
  }

  /** Forgets a session (deleted). */
  forget(dir: string): void {
    this.jobs.delete(dir);
  }

  /** Whether a mixdown is reading this session now (it must not be deleted under it). */
  busy(dir: string): boolean {
    const s = this.jobs.get(dir)?.state;
    return s === 'queued' || s === 'running';
  }

  private next(): void {
    if (this.running) return;
    const item = this.queue.shift();
    if (!item) return;
    const job = this.jobs.get(item.dir);
    if (!job) return this.next();
    this.running = true;
    job.state = 'running';
    const worker = new Worker(new URL('./mixdown-worker.js', import.meta.url), { workerData: item });
    const finish = (): void => {
      this.running = false;
      this.next();
    };
    worker.on('message', (m: { type: string; fraction?: number; error?: string }) => {
      if (m.type === 'progress') job.fraction = m.fraction ?? job.fraction;
      else if (m.type === 'done') {
        job.state = 'done';
        job.fraction = 1;
      } else if (m.type === 'failed') {
        job.state = 'failed';
        job.error = m.error ?? 'failed';
      }
    });
    worker.on('error', (e) => {
      job.state = 'failed';
      job.error = e.message;
    });
    worker.on('exit', () => {
      if (job.state === 'running') {
        job.state = 'failed';
        job.error ||= 'the mixdown stopped';
      }
      finish();
    });
  }
}
