// ALSA device listing for riffbox/listDevices, off the main thread and never slow to answer.
//
// listAlsaDevices() probes every PCM by opening it: through the jack plugin that takes ~0.6 s, and on the
// main thread it held up everything behind it. The JSON-RPC server also answers a connection's requests
// in order, so the admin's client page (devices, stats and musicians asked at once on one connection)
// waited 0.3–1.5 s for all three. Here a worker started on first use does the probing, concurrent
// requests share one probe, and a request whose probe is slow gets the last complete listing after
// LIST_WAIT_MS instead (the probe goes on and refreshes it for the next request).
import { Worker } from 'node:worker_threads';
import type { AlsaDeviceInfo } from '../audio/alsa-device.js';

/** A listing this recent is answered without probing again. */
const FRESH_MS = 2000;
/** How long a request waits for a probe before it settles for the previous listing. */
const LIST_WAIT_MS = 100;

type Reply = { id: number; devices: AlsaDeviceInfo[] } | { id: number; error: string };

export class DeviceLister {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (d: AlsaDeviceInfo[]) => void; reject: (e: Error) => void }>();
  private probe: { key: string; promise: Promise<AlsaDeviceInfo[]> } | null = null;
  private last: { key: string; at: number; devices: AlsaDeviceInfo[] } | null = null;

  /** Like listAlsaDevices(extraPcms): a fresh probe, or the previous listing when the probe is slow. */
  async list(extraPcms: string[]): Promise<AlsaDeviceInfo[]> {
    const key = JSON.stringify(extraPcms);
    const last = this.last?.key === key ? this.last : null;
    if (last && Date.now() - last.at < FRESH_MS) return last.devices;
    const fresh = this.startProbe(key, extraPcms);
    if (!last) return fresh;
    let timer: NodeJS.Timeout | undefined;
    const stale = new Promise<AlsaDeviceInfo[]>((resolve) => {
      timer = setTimeout(() => resolve(last.devices), LIST_WAIT_MS);
    });
    try {
      return await Promise.race([fresh.catch(() => last.devices), stale]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private startProbe(key: string, extraPcms: string[]): Promise<AlsaDeviceInfo[]> {
    if (this.probe?.key === key) return this.probe.promise;
    const promise = this.request(extraPcms).then((devices) => {
      this.last = { key, at: Date.now(), devices };
      return devices;
    });
    const entry = { key, promise };
    this.probe = entry;
    const clear = (): void => {
      if (this.probe === entry) this.probe = null;
    };
    promise.then(clear, clear);
    return promise;
  }

  private request(extraPcms: string[]): Promise<AlsaDeviceInfo[]> {
    const w = this.worker ?? this.startWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, extraPcms });
    });
  }

  private startWorker(): Worker {
    const w = new Worker(new URL('./device-list-worker.js', import.meta.url));
    // Idle, it must not keep the process alive.
    w.unref();
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.devices);
    });
    const failAll = (err: Error): void => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`device listing worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }
}
