// A directory that does not answer, or answers "no": the registration status says which, retries back off,
// and musicians already connected (here through a port forward) hear no difference.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd, record } from '../harness/jack.js';
import { readWav } from '../harness/audio-analysis.js';
import { listenUntilJudged } from '../harness/listening.js';
import { SINE_LEFT_HZ } from '../harness/jack.js';
import { HomeNetwork, ADDR, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startDirectory, startNsClient, connectedWithin, fillDirectory } from './ns-peers.js';
import { createStore, startBoxMusician, FADE_IN_MS, sleep } from './scenario.js';

const skip = networkTestsUnavailable() ?? undefined;
const here = dirname(fileURLToPath(import.meta.url));

interface Registration {
  status: string;
  lastError: string | null;
  failures: number;
  nextRetryInMs: number | null;
}

type Rpc = { call<T>(m: string, p?: Record<string, unknown>): Promise<T> };

async function waitFor(rpc: Rpc, pred: (r: Registration) => boolean, timeoutMs: number, what: string): Promise<Registration> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc.call<Registration>('riffbox/getRegistration');
    if (pred(r)) return r;
    if (Date.now() > deadline) throw new Error(`${what}: registration is ${JSON.stringify(r)}`);
    await sleep(100);
  }
}

/** Registration bursts (sends closer than 800 ms) from RX lines. */
function bursts(times: number[]): number[][] {
  const out: number[][] = [];
  for (const t of times) {
    const last = out[out.length - 1];
    if (last && t - last[last.length - 1]! < 800) last.push(t);
    else out.push([t]);
  }
  return out;
}

describe('directory unreachable or refusing', { skip, timeout: 240_000 }, () => {
  before(async () => {
    await sweepStaleNamespaces();
  });

  test('a directory that never answers: requested, then time_out after 5 sends 500 ms apart; retries back off 1, 2, 4 s; a connected friend hears no gap', async (t) => {
    const net = await HomeNetwork.build();
    const g = new ProcessGroup('net-dir-silent');
    try {
      const listener = g.spawn('silent-directory', ...net.command('inet', process.execPath, [join(here, 'udp-listen.js'), ADDR.silentHost, '22124']));
      await listener.waitForLine(/^listening /, 5000);
      const { path } = createStore(g, { 'server.mode': 'private', 'server.name': 'Garage' });
      const server = await startRiffbox(g, net, { db: path, timings: 'retryBaseMs=1000,retryMaxMs=4000' });
      await net.forward(22124);
      await startBoxMusician(g, net, 22124);
      const friendJack = await startJackd(g, { frames: 128 });
      const friend = await startNsClient(g, net, { role: 'friend', server: `${ADDR.homeWan}:22124`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150 });
      assert.ok(await connectedWithin(friend, 10000), `friend connects through the forward\n${g.describe()}`);
      await sleep(FADE_IN_MS);

      const started = Date.now();
      assert.equal(await server.rpc.call('jamulusserver/setDirectory', { directoryType: 'custom', directoryAddress: `${ADDR.silentHost}:22124` }), 'ok');
      await waitFor(server.rpc, (r) => r.status === 'requested', 500, 'requested');
      const timedOut = await waitFor(server.rpc, (r) => r.status === 'time_out', 4000, 'time-out');
      const tookMs = Date.now() - started;
      assert.ok(tookMs >= 2300 && tookMs < 3500, `time_out after ${tookMs} ms (5 sends x 500 ms)`);
      assert.match(timedOut.lastError ?? '', /no answer from 203\.0\.113\.20:22124/);
      assert.ok(timedOut.nextRetryInMs !== null && timedOut.nextRetryInMs <= 1000, JSON.stringify(timedOut));

      // The friend listens while attempts keep going (every ≤ 6.5 s, so each window holds a burst); windows the
      // host disturbed are measured again (harness/listening.ts).
      type Stats = { lateTicks: number; skippedTicks: number };
      await listenUntilJudged({
        t,
        jacks: [friendJack],
        maxWindows: 3,
        record: async (w) => {
          const before = await server.rpc.call<Stats>('riffbox/getServerStats');
          const wav = readWav(await record(g, friendJack, [friend.outputs.left], 6, g.path(`during-retries-${w}.wav`)));
          const after = await server.rpc.call<Stats>('riffbox/getServerStats');
          t.diagnostic(`window ${w}: the engine skipped ${after.skippedTicks - before.skippedTicks} ticks`);
          return [{ label: 'friend during retries', samples: wav.channels[0]!, freq: SINE_LEFT_HZ, criteria: { maxGlitchWindowsPer10s: null } }];
        },
      });


      await waitFor(server.rpc, (r) => r.failures >= 4, 15000, 'four failed attempts');
      await sleep(300);
      const rx = listener.output().stdout.split('\n').filter((l) => l.startsWith('RX ')).map((l) => l.split(' '));
      const regTimes = rx.filter((p) => p[2] === 'CLM_REGISTER_SERVER_EX').map((p) => Number(p[1]));
      const b = bursts(regTimes);
      t.diagnostic(`bursts at ${b.map((x) => `${x[0]}ms x${x.length}`).join(', ')}`);
      assert.ok(b.length >= 4, `at least four attempts: ${JSON.stringify(b)}`);
      for (const burst of b.slice(0, 3)) {
        assert.equal(burst.length, 5, `5 sends per attempt: ${JSON.stringify(b)}`);
        const spacing = burst.slice(1).map((x, i) => x - burst[i]!);
        assert.ok(spacing.every((s) => s >= 400 && s <= 700), `sends 500 ms apart: ${spacing}`);
      }
      // Pause between attempts = 500 ms time-out of the last send + the backoff (1 s, 2 s, 4 s).
      const pauses = b.slice(1).map((x, i) => x[0]! - b[i]![b[i]!.length - 1]!);
      t.diagnostic(`pauses between attempts: ${pauses.join(', ')} ms`);
      const want = [1500, 2500, 4500];
      for (const [i, p] of pauses.slice(0, 3).entries()) assert.ok(Math.abs(p - want[i]!) < 400, `pause ${i + 1} ${p} ms, want ≈${want[i]} ms`);

      // Leaving public mode tells the (silent) directory too.
      assert.equal(await server.rpc.call('jamulusserver/setDirectory', { directoryType: 'none' }), 'ok');
      await sleep(300);
      assert.ok(listener.output().stdout.includes('CLM_UNREGISTER_SERVER'), 'unregistered when leaving public mode');
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('refusals and bad addresses: bad_address, server_version_too_old, requirements_not_fulfilled, directory_server_full — each retried with backoff', async (t) => {
    const net = await HomeNetwork.build();
    const g = new ProcessGroup('net-dir-refuse');
    try {
      const { path } = createStore(g, { 'server.mode': 'public', 'server.directory': 'nowhere.invalid', 'server.name': 'Garage' });
      const server = await startRiffbox(g, net, { db: path, timings: 'retryBaseMs=1000,retryMaxMs=4000' });
      const bad = await waitFor(server.rpc, (r) => r.status === 'bad_address', 8000, 'unresolvable host');
      assert.match(bad.lastError ?? '', /cannot resolve nowhere\.invalid/);
      await waitFor(server.rpc, (r) => r.status === 'bad_address' && r.failures >= 2, 8000, 'retried resolution');

      const custom = { directoryType: 'custom', directoryAddress: `${ADDR.directory}:22124` };
      const cases: Array<{ args: string[]; status: string }> = [
        { args: ['-f', '[9.9.9]'], status: 'server_version_too_old' },
        { args: ['-f', '198.51.100.7'], status: 'requirements_not_fulfilled' },
      ];
      for (const c of cases) {
        const dir = await startDirectory(g, net, c.args);
        await server.rpc.call('jamulusserver/setDirectory', custom);
        const r = await waitFor(server.rpc, (x) => x.status === c.status, 5000, c.status);
        assert.match(r.lastError ?? '', new RegExp(c.status));
        // It does not give up: the next attempt comes after the backoff and gets the same answer.
        const again = await waitFor(server.rpc, (x) => x.status === c.status && x.failures >= 2, 5000, `${c.status} retried`);
        t.diagnostic(`${c.args.join(' ')} → ${again.status}, ${again.failures} attempts`);
        await server.rpc.call('jamulusserver/setDirectory', { directoryType: 'none' });
        await dir.stop();
      }

      // A full list: 149 other servers plus the directory itself are the 150 a Jamulus directory holds.
      await startDirectory(g, net);
      const filled = await fillDirectory(g, net, 149);
      assert.deepEqual(filled, { 0: 149 }, 'the directory took 149 registrations');
      await server.rpc.call('jamulusserver/setDirectory', custom);
      const full = await waitFor(server.rpc, (x) => x.status === 'directory_server_full', 5000, 'full');
      t.diagnostic(`full list → ${full.status}: ${full.lastError}`);
      const profile = await server.rpc.call<{ registrationStatus: string }>('jamulusserver/getServerProfile');
      assert.equal(profile.registrationStatus, 'directory_server_full');
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });
});
