// `riffbox client`: resolves settings (store, then flags), starts the engine (its real-time path runs in
// the addon's audio thread) and the JSON-RPC control channel, and reports in one line per event what the musician or the unit's journal needs:
// connected, lost, device gone or back, and the delay figures. It stays up whatever the server or the
// device do; only a bad command line or an unusable JSON-RPC setup ends it.
import { parseServiceArgs, usage, applyOverrides, CliUsageError, type ServiceArgs } from '../settings/cli-overrides.js';
import { defaultSettings, type FlatSettings } from '../settings/schema.js';
import { SettingsStore } from '../settings/store.js';
import { controlSocketPath, resolveSecretFile } from '../service-paths.js';
import { ClientEngine } from './engine.js';
import { engineOptionsFrom, type ClientEngineEvent, type ClientEngineOptions } from './client-options.js';
import { AUTO_DEVICE, chooseAutoDevice } from '../audio/device-choice.js';
import { listAlsaDevices } from '../audio/alsa-device.js';
import { startClientControl, type ClientControl } from './client-control.js';

/** How often the delay line is printed while connected (the first one as soon as a ping came back). */
const STATUS_EVERY_MS = 60000;
const STATUS_POLL_MS = 2000;

const log = (line: string): void => console.log(line);
const warn = (line: string): void => console.error(`riffbox client: ${line}`);

/** Engine options with the device setting "auto" resolved to a card present now (audio/device-choice.ts). */
function optionsFor(s: FlatSettings): ClientEngineOptions {
  const o = engineOptionsFrom(s);
  if (o.device !== AUTO_DEVICE) return o;
  let chosen: string | null = null;
  try {
    chosen = chooseAutoDevice(listAlsaDevices());
  } catch (e) {
    warn(`cannot list sound cards: ${(e as Error).message}`);
  }
  if (chosen) log(`riffbox client: device auto: ${chosen}`);
  else warn('device auto: no USB audio interface or card with input and output found; using ALSA\'s default until one is plugged in');
  return { ...o, device: chosen ?? 'default' };
}

export async function runClient(argv: readonly string[]): Promise<number> {
  let settings: FlatSettings;
  let store: SettingsStore | null = null;
  let args: ServiceArgs;
  let secretFile: string | undefined;
  let db: string | undefined;
  try {
    const pre = parseServiceArgs('client', argv);
    db = pre.db;
    if (pre.help) {
      console.log(usage('client'));
      return 0;
    }
    if (pre.db) store = SettingsStore.open(pre.db);
    const stored = store ? store.getFlat() : defaultSettings();
    args = parseServiceArgs('client', argv, stored);
    settings = applyOverrides(stored, args.overrides);
    secretFile = resolveSecretFile(args.jsonrpcSecretFile, pre.db);
  } catch (e) {
    store?.close();
    if (e instanceof CliUsageError) {
      console.error(`riffbox client: ${e.message}`);
      return 2;
    }
    console.error(`riffbox client: ${(e as Error).message}`);
    return 1;
  }

  let host: ClientEngine;
  try {
    host = new ClientEngine(optionsFor(settings));
  } catch (e) {
    store?.close();
    console.error(`riffbox client: cannot start: ${(e as Error).message}`);
    return 1;
  }
  let control: ClientControl | null = null;
  let stopping = false;
  let connectedAt = 0;
  let lastStatusAt = 0;
  let deviceWasLost = false;

  const onEvent = (e: ClientEngineEvent): void => {
    switch (e.event) {
      case 'connected':
        connectedAt = Date.now();
        lastStatusAt = 0;
        log(`riffbox client connected to ${e.server}`);
        return;
      case 'disconnected':
        connectedAt = 0;
        warn(`disconnected: ${e.reason}`);
        return;
      case 'attemptFailed':
        if (e.retryInMs < 0) warn(`cannot connect to ${e.server}: ${e.reason}`);
        else warn(`cannot connect to ${e.server}: ${e.reason}; retrying in ${Math.round(e.retryInMs / 1000)} s`);
        return;
      case 'device':
        if (e.state === 'lost') {
          deviceWasLost = true;
          warn(`${e.error ?? `audio device '${settings['client.device']}' is not available`}; retrying every second`);
        } else if (e.state === 'running') {
          warn(deviceWasLost ? `audio device '${settings['client.device']}' is back` : `audio device '${settings['client.device']}' open`);
          deviceWasLost = false;
        }
        return;
      default:
        return;
    }
  };

  host.on('event', onEvent);
  host.start();

  const reload = async (): Promise<void> => {
    if (!store) return;
    settings = applyOverrides(store.getFlat(), args.overrides);
    control?.setMix(settings['client.mix']);
    await host.configure(optionsFor(settings));
  };

  if (secretFile) {
    try {
      control = await startClientControl({
        host,
        store,
        mix: settings['client.mix'],
        device: () => settings['client.device'],
        port: settings['client.jsonrpcPort'],
        socketPath: db === undefined ? undefined : controlSocketPath(db, 'client'),
        secretFile,
        reload,
      });
    } catch (e) {
      console.error(`riffbox client: JSON-RPC: ${(e as Error).message}`);
      stopping = true;
      await host.stop();
      store?.close();
      return 1;
    }
  }

  const status = setInterval(() => {
    if (connectedAt === 0) return;
    const now = Date.now();
    if (lastStatusAt !== 0 && now - lastStatusAt < STATUS_EVERY_MS) return;
    const s = host.getStats();
    if (s.state !== 'connected' || s.overallDelayMs === null) return;
    lastStatusAt = now;
    log(`riffbox client: overall delay ${s.overallDelayMs} ms (ping ${s.pingMs} ms, jitter buffers ${s.clientJitterBlocks}+${s.serverJitterBlocks}), xruns ${s.device.xruns} (output kept at ${s.device.playbackPeriods} periods)${s.device.paced ? ', device paced by the system clock (it delivered more than a clock could)' : ''}`);
  }, STATUS_POLL_MS);

  return new Promise<number>((resolve) => {
    const stop = async (code: number): Promise<void> => {
      if (stopping) return;
      stopping = true;
      clearInterval(status);
      await control?.close();
      await host.stop();
      store?.close();
      resolve(code);
    };
    process.once('SIGTERM', () => void stop(0));
    process.once('SIGINT', () => void stop(0));
  });
}
