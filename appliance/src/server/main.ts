// `riffbox server`: resolves settings (store, then flags), starts the engine worker and the JSON-RPC control
// channel, and prints the ready line the image's unit and the tests wait for.
import { parseServiceArgs, usage, applyOverrides, CliUsageError } from '../settings/cli-overrides.js';
import { defaultSettings, type FlatSettings } from '../settings/schema.js';
import { SettingsStore } from '../settings/store.js';
import { ServerEngineHost, EngineStartError } from './engine-host.js';
import type { ServerEngineOptions } from './engine-options.js';
import { startServerControl, type ServerControl } from './server-control.js';
import { resolveSecretFile } from '../service-paths.js';

export function engineOptionsFrom(s: FlatSettings): ServerEngineOptions {
  return {
    port: s['server.port'],
    bindAddress: '0.0.0.0',
    maxClients: s['server.maxClients'],
    fastUpdate: s['server.fastUpdate'],
    name: s['server.name'],
    city: s['server.city'],
    country: s['server.country'],
    welcome: s['server.welcome'],
    disconnectOnQuit: true,
  };
}

export async function runServer(argv: readonly string[]): Promise<number> {
  let settings: FlatSettings;
  let store: SettingsStore | null = null;
  let secretFile: string | undefined;
  try {
    const pre = parseServiceArgs('server', argv);
    if (pre.help) {
      console.log(usage('server'));
      return 0;
    }
    if (pre.db) store = SettingsStore.open(pre.db);
    const stored = store ? store.getFlat() : defaultSettings();
    // Parse again against the stored values so cross-field rules see what will actually run.
    const args = parseServiceArgs('server', argv, stored);
    settings = applyOverrides(stored, args.overrides);
    secretFile = resolveSecretFile(args.jsonrpcSecretFile, pre.db);
  } catch (e) {
    store?.close();
    if (e instanceof CliUsageError) {
      console.error(`riffbox server: ${e.message}`);
      return 2;
    }
    console.error(`riffbox server: ${(e as Error).message}`);
    return 1;
  }

  const host = new ServerEngineHost(engineOptionsFrom(settings));
  let port: number;
  try {
    port = await host.start();
  } catch (e) {
    store?.close();
    if (e instanceof EngineStartError && e.code === 'EADDRINUSE') {
      console.error(`riffbox server: UDP port ${settings['server.port']} is already in use (is another Jamulus server running?)`);
    } else {
      console.error(`riffbox server: cannot start: ${(e as Error).message}`);
    }
    return 1;
  }

  let control: ServerControl | null = null;
  if (secretFile) {
    try {
      control = await startServerControl({ host, settings, store, port: settings['server.jsonrpcPort'], secretFile });
    } catch (e) {
      console.error(`riffbox server: JSON-RPC: ${(e as Error).message}`);
      await host.stop();
      store?.close();
      return 1;
    }
  }

  console.log(`riffbox server listening on udp/${port}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (code: number): Promise<void> => {
      if (stopping) return;
      stopping = true;
      await control?.close();
      await host.stop();
      store?.close();
      resolve(code);
    };
    process.once('SIGTERM', () => void stop(0));
    process.once('SIGINT', () => void stop(0));
    host.once('exit', (code) => {
      if (!stopping) {
        console.error(`riffbox server: engine stopped unexpectedly (code ${code})`);
        void stop(1);
      }
    });
  });
}
