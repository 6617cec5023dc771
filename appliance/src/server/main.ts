// `riffbox server`: resolves settings (store, then flags), starts the engine worker and the JSON-RPC control
// channel, and prints the ready line the image's unit and the tests wait for.
import { parseServiceArgs, usage, applyOverrides, CliUsageError } from '../settings/cli-overrides.js';
import { defaultSettings, type FlatSettings, type SettingsPatch } from '../settings/schema.js';
import { SettingsStore } from '../settings/store.js';
import { EngineStartError } from './engine-host.js';
import { startServerControl, type ServerControl } from './server-control.js';
import { ServerRuntime } from './server-runtime.js';
import { timingsFromEnv, type RegistrarTimings } from './registrar-timings.js';
import { mapperTimingsFromEnv, type MapperTimings } from '../reach/mapper-timings.js';
import { controlSocketPath, resolveSecretFile } from '../service-paths.js';

export { engineOptionsFrom } from './server-runtime.js';

export async function runServer(argv: readonly string[]): Promise<number> {
  let settings: FlatSettings;
  let store: SettingsStore | null = null;
  let secretFile: string | undefined;
  let overrides: SettingsPatch = {};
  let db: string | undefined;
  let timings: RegistrarTimings;
  let mapperTimings: MapperTimings;
  try {
    const pre = parseServiceArgs('server', argv);
    if (pre.help) {
      console.log(usage('server'));
      return 0;
    }
    timings = timingsFromEnv(process.env.RIFFBOX_REGISTRATION_TIMINGS);
    mapperTimings = mapperTimingsFromEnv(process.env.RIFFBOX_PORTMAP_TIMINGS);
    db = pre.db;
    if (db) store = SettingsStore.open(db);
    const stored = store ? store.getFlat() : defaultSettings();
    // Parse again against the stored values so cross-field rules see what will actually run.
    const args = parseServiceArgs('server', argv, stored);
    overrides = args.overrides;
    settings = applyOverrides(stored, overrides);
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

  const runtime = new ServerRuntime(settings, { timings, mapperTimings, db: store?.path, log: (line) => console.log(`riffbox server: ${line}`) });
  let port: number;
  try {
    port = await runtime.start();
  } catch (e) {
    store?.close();
    if (e instanceof EngineStartError && e.code === 'EADDRINUSE') {
      console.error(`riffbox server: UDP port ${settings['server.port']} is already in use (is another Jamulus server running?)`);
    } else {
      console.error(`riffbox server: cannot start: ${(e as Error).message}`);
    }
    return 1;
  }

  // A reload sees what a restart would: the store as it is now, with this run's flags still on top.
  const openStore = store;
  const reloadSettings = openStore
    ? (): FlatSettings => {
        const fresh = openStore.getFlat();
        return applyOverrides(fresh, parseServiceArgs('server', argv, fresh).overrides);
      }
    : null;

  let control: ServerControl | null = null;
  if (secretFile) {
    try {
      control = await startServerControl({
        runtime, reloadSettings, port: settings['server.jsonrpcPort'], secretFile,
        socketPath: db === undefined ? undefined : controlSocketPath(db, 'server'),
      });
    } catch (e) {
      console.error(`riffbox server: JSON-RPC: ${(e as Error).message}`);
      await runtime.stop();
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
      await runtime.stop();
      store?.close();
      resolve(code);
    };
    process.once('SIGTERM', () => void stop(0));
    process.once('SIGINT', () => void stop(0));
    // As Jamulus's server: SIGUSR1 starts a new session folder, SIGUSR2 turns recording on or off.
    const onUsr1 = (): void => void runtime.recorder.restart();
    const onUsr2 = (): void => void runtime.recorder.setEnabled(!runtime.recorder.status().enabled);
    process.on('SIGUSR1', onUsr1);
    process.on('SIGUSR2', onUsr2);
    runtime.on('exit', (code) => {
      if (!stopping) {
        console.error(`riffbox server: engine stopped unexpectedly (code ${code})`);
        void stop(1);
      }
    });
  });
}
