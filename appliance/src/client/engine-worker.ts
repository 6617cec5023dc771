// Worker-thread entry of the client engine. The main thread talks to it with small request/response
// messages (engine-host.ts); events flow back unprompted. Nothing here runs per audio period.
import { parentPort, workerData } from 'node:worker_threads';
import { ClientEngine } from './engine.js';
import type { ClientEngineOptions } from './client-options.js';
import type { EngineRequest, WorkerToHost } from './engine-protocol.js';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run in a worker thread');
const post = (m: WorkerToHost): void => port.postMessage(m);

const engine = new ClientEngine(workerData as ClientEngineOptions, (e) => post({ type: 'event', payload: e }));

function handle(req: EngineRequest): unknown {
  switch (req.method) {
    case 'getStats':
      return engine.getStats();
    case 'getClients':
      return engine.getClients();
    case 'getProfile':
      return engine.getProfile();
    case 'isConnected':
      return engine.isConnected();
    case 'setProfile':
      return engine.setProfile(req.args[0]);
    case 'setMix':
      return engine.setMix(req.args[0]);
    case 'setMuted':
      return engine.setMuted(req.args[0]);
    case 'sendChat':
      return engine.sendChat(req.args[0]);
    case 'connect':
      return engine.connect(req.args[0]);
    case 'disconnect':
      return engine.disconnect();
    case 'configure':
      return engine.configure(req.args[0]);
  }
}

port.on('message', (req: EngineRequest | { method: 'stop'; id: number }) => {
  if (req.method === 'stop') {
    void engine.stop().then(() => {
      post({ type: 'result', id: req.id, value: null });
      port.close();
    });
    return;
  }
  Promise.resolve()
    .then(() => handle(req))
    .then(
      (value) => post({ type: 'result', id: req.id, value: value ?? null }),
      (e: unknown) => post({ type: 'result', id: req.id, error: (e as Error).message }),
    );
});

engine.start().then(
  (boundPort) => post({ type: 'ready', port: boundPort }),
  (err: NodeJS.ErrnoException) => post({ type: 'failed', code: err.code ?? 'ERROR', message: err.message }),
);
