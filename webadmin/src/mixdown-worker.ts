// Worker thread of the admin that makes one session's mixdown (appliance/src/recorder/mixdown.ts), at a low
// priority: it reads and writes the whole session and must not slow the page, let alone the audio services.
import { parentPort, workerData } from 'node:worker_threads';
import { setPriority } from 'node:os';
import { mixdownSession } from '../../appliance/src/recorder/mixdown.js';

const { dir, name } = workerData as { dir: string; name: string };
try {
  // On Linux this sets the calling thread's nice value only.
  setPriority(0, 15);
} catch {
  // not permitted: run at the admin's own priority
}
let last = 0;
try {
  const r = mixdownSession(dir, name, (f) => {
    if (f - last >= 0.02 || f === 1) {
      last = f;
      parentPort!.postMessage({ type: 'progress', fraction: f });
    }
  });
  parentPort!.postMessage({ type: 'done', seconds: r.seconds });
} catch (e) {
  parentPort!.postMessage({ type: 'failed', error: (e as Error).message });
}
