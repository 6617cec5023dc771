// Issue 14 acceptance: the riffbox server records real Jamulus 3.9.1 clients the way Jamulus's recorder does —
// one WAV per client carrying that client's own sine, no dropouts in quiet windows, tracks in line with each
// other within one frame, and a .rpp and .lof that place them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd, playSine, connect, waitForPorts, SINE_LEFT_HZ, SINE_RIGHT_HZ } from '../harness/jack.js';
import { startJamulusClient } from '../harness/jamulus.js';
import { judgeInQuietWindows, quietWindowsTimeout, toneProblems } from '../harness/listening.js';
import { uniqueName } from '../harness/ports.js';
import { startRiffboxServer } from './support/riffbox-server.js';
import { burstOnsets, lofEntries, lowPass, rppItems, sessionTracks, waitForFile } from './support/recording-analysis.js';

const RATE = 48000;
const FRAME = 128;
const WINDOW_MS = 10_000;
const FADE_IN_MS = 3500;
/** The metronome's click: far above both sines, short, quiet enough to leave the tones dominant. */
const CLICK_HZ = 3000;
const JOIN_AFTER_MS = 1500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Details {
  lastSession: { path: string; reason: string } | null;
  droppedTicks: number;
}

test(
  'two real Jamulus clients, one joining mid-session: one WAV each with its own sine, no dropouts, aligned within one frame, placed by the .rpp and .lof',
  { timeout: quietWindowsTimeout({ otherMs: 60_000, windowMs: WINDOW_MS + JOIN_AFTER_MS + 12_000 }) },
  async (t) => {
    const g = new ProcessGroup('rec-two-clients');
    try {
      const dir = g.path('recordings');
      const server = await startRiffboxServer(g, { extraArgs: ['--recording', dir, '--norecord'] });
      // Both clients on one jackd: they capture the metronome's clicks in the same period, so the clicks must
      // land on the same server tick in both tracks. A fixed jitter buffer gives both the same delay in the server.
      const jack = await startJackd(g, { frames: FRAME });
      const a = await startJamulusClient(g, { server: server.address, jack, frames: FRAME, name: 'Alice', clientName: 'A', jitterBuffer: 4 });
      const sine = await playSine(g, jack, { left: [a.inputs.left] });
      const metro = uniqueName('metro');
      g.spawn('metro', 'jack_metro', ['-n', metro, '-b', '60', '-f', String(CLICK_HZ), '-A', '0.15', '-D', '10'], { env: jack.env });
      await waitForPorts(jack, [`${metro}:60_bpm`]);
      await connect(jack, `${metro}:60_bpm`, a.inputs.right);
      await sleep(FADE_IN_MS);
      let previous = '';

      await judgeInQuietWindows({
        t,
        jacks: [jack],
        window: async (attempt) => {
          assert.equal(await server.rpc.call('jamulusserver/startRecording'), 'acknowledged');
          // Bob joins a session already being recorded: his file starts at a later frame.
          await sleep(JOIN_AFTER_MS);
          const b = await startJamulusClient(g, { server: server.address, jack, frames: FRAME, name: 'Bob', clientName: `B${attempt}`, jitterBuffer: 4 });
          await connect(jack, `${sine.client}:output2`, b.inputs.left);
          await connect(jack, `${metro}:60_bpm`, b.inputs.right);
          const { clients } = await server.rpc.call<{ clients: { name: string; address: string }[] }>('jamulusserver/getClients');
          await sleep(WINDOW_MS);
          assert.equal(await server.rpc.call('jamulusserver/stopRecording'), 'acknowledged');
          await b.stop();
          let details: Details | undefined;
          for (let i = 0; i < 50 && (!details?.lastSession || details.lastSession.path === previous); i++) {
            details = await server.rpc.call<Details>('riffbox/getRecorderDetails');
            await sleep(100);
          }
          const session = details!.lastSession!.path;
          assert.notEqual(session, previous, 'a new session folder per window');
          previous = session;
          const name = session.split('/').pop()!;
          await waitForFile(join(session, `${name}.rpp`), 5000);
          t.diagnostic(`window ${attempt}: ${session}: ${readdirSync(session).join(', ')}; ring dropped ${details!.droppedTicks} ticks`);

          // One WAV per client, named after the client and the address it sends from.
          const tracks = sessionTracks(session);
          assert.equal(tracks.length, 2, tracks.map((x) => x.file).join(', '));
          const fileStart = (who: string): string => {
            const c = clients.find((x) => x.name === who)!;
            return `${who.padEnd(4, '_')}-${c.address.replace(/[.:]/g, '_')}-`;
          };
          const ta = tracks.find((x) => x.file.startsWith(fileStart('Alice')));
          const tb = tracks.find((x) => x.file.startsWith(fileStart('Bob')));
          assert.ok(ta && tb, `tracks ${tracks.map((x) => x.file).join(', ')} for ${JSON.stringify(clients)}`);
          assert.equal(ta.channels, 1);
          assert.equal(tb.channels, 1);
          assert.ok(tb.startFrame > (JOIN_AFTER_MS / 1000) * (RATE / FRAME), `Bob's file starts at frame ${tb.startFrame}`);

          // The project files place each file at its start frame.
          const lof = lofEntries(join(session, `${name}.lof`));
          const rpp = rppItems(join(session, `${name}.rpp`));
          for (const tr of [ta, tb]) {
            const seconds = (tr.startFrame * FRAME) / RATE;
            const l = lof.find((e) => e.file === tr.file);
            const r = rpp.find((e) => e.file === tr.file);
            assert.ok(l && r, `${tr.file} in .lof ${JSON.stringify(lof)} and .rpp ${JSON.stringify(rpp)}`);
            assert.ok(Math.abs(l.offset - seconds) < 1e-9 && Math.abs(r.position - seconds) < 1e-9, `${tr.file} at ${seconds} s`);
          }
          assert.equal(lof.length, 2);
          assert.equal(rpp.length, 2);

          // In line: the same click, at the same place on the session's timeline in both tracks.
          const onsets = (tr: typeof ta, skip: number): number[] =>
            burstOnsets(tr.samples, RATE, CLICK_HZ * 0.6, RATE / 2).filter((i) => i >= skip).map((i) => i + tr.startFrame * FRAME);
          const oa = onsets(ta, 0);
          const ob = onsets(tb, RATE);
          const offsets = oa.map((x) => ob.reduce((best, y) => (Math.abs(y - x) < Math.abs(best) ? y - x : best), Infinity)).filter((d) => Math.abs(d) < RATE / 2);
          t.diagnostic(`window ${attempt}: clicks A ${oa.length}, B ${ob.length}; B − A in samples: ${offsets.join(' ')}`);
          const problems: string[] = [];
          if (offsets.length < 6) problems.push(`only ${offsets.length} clicks matched in both tracks`);
          const worst = Math.max(...offsets.map(Math.abs));
          if (!(worst <= FRAME)) problems.push(`tracks out of line by up to ${worst} samples (one frame is ${FRAME})`);

          // The tones, judged below the clicks.
          const judged = [
            toneProblems(lowPass(ta.samples, RATE, 1500), SINE_LEFT_HZ, `Alice's track (${ta.file})`),
            // Bob's first second is his connection settling (jitter buffer filling), not the recorder.
            toneProblems(lowPass(tb.samples.subarray(RATE), RATE, 1500), SINE_RIGHT_HZ, `Bob's track (${tb.file}) after its first second`),
          ];
          return {
            problems: [...problems, ...judged.flatMap((j) => j.problems)],
            summaries: [...judged.map((j) => j.summary), `alignment: worst ${worst} samples over ${offsets.length} clicks`],
          };
        },
      });
      assert.ok(existsSync(dir));
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${g.describe()}`);
    } finally {
      await g.stopAll();
    }
  },
);
