// Worker-thread entry of the server engine. The main thread talks to it with small request/response
// messages (engine-host.ts); events flow back unprompted. Nothing here runs per audio frame.
import { parentPort, workerData } from 'node:worker_threads';
import { ServerEngine } from './engine.js';
import type { ServerEngineOptions } from './engine-options.js';
import type { EngineRequest, WorkerToHost } from './engine-protocol.js';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run in a worker thread');
const post = (m: WorkerToHost): void => port.postMessage(m);

const engine = new ServerEngine(workerData as ServerEngineOptions, (e) => post({ type: 'event', payload: e }));

function handle(req: EngineRequest): unknown {
  switch (req.method) {
    case 'getClients':
      return engine.getClients();
    case 'getStats':
      return engine.getStats();
    case 'setWelcomeMessage':
      return engine.setWelcomeMessage(req.args[0]);
    case 'setServerInfo':
      return engine.setServerInfo(req.args[0]);
    case 'broadcastChat':
      return engine.broadcastChat(req.args[0]);
    case 'sendClmTo': {
      const [name, value, address, p] = req.args;
      return engine.sendClmTo(name as never, value as never, address, p);
    }
    case 'setHolePunchSource':
      return engine.setHolePunchSource(req.args[0]);
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
  try {
    post({ type: 'result', id: req.id, value: handle(req) });
  } catch (e) {
    post({ type: 'result', id: req.id, error: (e as Error).message });
  }
});

engine.start().then(
  (boundPort) => post({ type: 'ready', port: boundPort }),
  (err: NodeJS.ErrnoException) => post({ type: 'failed', code: err.code ?? 'ERROR', message: err.message }),
);
