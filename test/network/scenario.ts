// The pieces every network test repeats: a settings database, the box-side musician playing a sine into the
// riffbox server from the home LAN (127.0.0.1, as on the box itself), and "the friend hears it".
import assert from 'node:assert/strict';
import { SettingsStore } from '../../appliance/src/settings/store.js';
import type { ProcessGroup } from '../harness/processes.js';
import { startJackd, playSine, record, SINE_LEFT_HZ, type Jack } from '../harness/jack.js';
import type { TestContext } from 'node:test';
import { readWav } from '../harness/audio-analysis.js';
import { listenUntilJudged, type ListenVerdict } from '../harness/listening.js';
import type { HomeNetwork } from './netns.js';
import { startNsClient, connectedWithin, type NsClient } from './ns-peers.js';

export const RATE = 48000;
/** The server fades a new channel in over ≈3 s. */
export const FADE_IN_MS = 3500;

export function createStore(group: ProcessGroup, patch: Record<string, unknown>): { path: string; store: SettingsStore } {
  const path = group.path('settings.db');
  const store = SettingsStore.open(path);
  store.update(patch);
  group.onCleanup(() => store.close());
  return { path, store };
}

export interface BoxMusician {
  jack: Jack;
  client: NsClient;
}

/** A Jamulus client in the home LAN at 127.0.0.1:port playing 240 Hz: the sound the friend must hear. */
export async function startBoxMusician(group: ProcessGroup, net: HomeNetwork, serverPort: number): Promise<BoxMusician> {
  const jack = await startJackd(group, { frames: 128 });
  const client = await startNsClient(group, net, {
    role: 'home', server: `127.0.0.1:${serverPort}`, jack, name: 'Box', portBase: 23000, rpcPort: 22140,
  });
  assert.ok(await connectedWithin(client, 10000), `box musician did not connect to 127.0.0.1:${serverPort}\n${group.describe()}`);
  await playSine(group, jack, [client.inputs.left, client.inputs.right]);
  return { jack, client };
}

/**
 * Records the friend's output and asserts the box's 240 Hz is in it, clearly and without gaps; windows
 * the host disturbed are measured again (harness/listening.ts). Returns the verdict for the log.
 */
export async function assertHears(t: TestContext, group: ProcessGroup, jack: Jack, c: NsClient, label: string, seconds = 3): Promise<ListenVerdict> {
  return listenUntilJudged({
    t,
    jacks: [jack],
    record: async (attempt) => {
      const wav = readWav(await record(group, jack, [c.outputs.left], seconds, group.path(`${label}-${attempt}.wav`)));
      return [{ label, samples: wav.channels[0]!, freq: SINE_LEFT_HZ, criteria: { maxGlitchWindowsPer10s: null } }];
    },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
