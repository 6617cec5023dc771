// Worker-thread entry that lists ALSA devices for device-list.ts. Probing a PCM opens it, which takes
// hundreds of milliseconds for some (a jack PCM starts a JACK client): done here, it never holds up the
// JSON-RPC answers the main thread owes meanwhile.
import { parentPort } from 'node:worker_threads';
import { listAlsaDevices } from '../audio/alsa-device.js';

const port = parentPort;
if (!port) throw new Error('device-list-worker.ts must run in a worker thread');

port.on('message', (req: { id: number; extraPcms: string[] }) => {
  try {
    port.postMessage({ id: req.id, devices: listAlsaDevices(req.extraPcms) });
  } catch (e) {
    port.postMessage({ id: req.id, error: (e as Error).message });
  }
});
