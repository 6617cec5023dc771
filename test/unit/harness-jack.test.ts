// jackd (dummy driver), jack_simple_client and jack_rec through the harness: the recorded tones
// have the documented frequencies, and every process and semaphore is gone afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd, playSine, record, listPorts, listConnections, SINE_LEFT_HZ, SINE_RIGHT_HZ } from '../harness/jack.js';
import { readWav, rmsDb } from '../harness/audio-analysis.js';
import { listenUntilJudged } from '../harness/listening.js';

test('jackd dummy at 64 frames: the sine player is recorded at 240/720 Hz without dropouts', async (t) => {
  const g = new ProcessGroup('t-jack');
  let name = '';
  try {
    const jack = await startJackd(g, { frames: 64 });
    name = jack.name;
    assert.ok((await listPorts(jack)).includes('system:capture_1'));
    const sine = await playSine(g, jack, { left: ['system:playback_1'], right: ['system:playback_2'] });
    const conns = await listConnections(jack);
    assert.ok(conns.get(`${sine.client}:output1`)?.includes('system:playback_1'));
    // A clean tone through one jackd is ≈ 66 dB above everything else. One late period of a JACK client (the
    // machine busy with disk or memory, which no steal figure shows) costs a click and takes it to ≈ 28 dB;
    // the limit of 25 dB still fails a wrong or broken signal. A stalled jackd is told apart (listening.ts).
    await listenUntilJudged({
      t,
      jacks: [jack],
      record: async (attempt) => {
        const wav = readWav(await record(g, jack, [`${sine.client}:output1`, `${sine.client}:output2`], 2, g.path(`sine-${attempt}.wav`)));
        assert.equal(wav.sampleRate, 48000);
        assert.equal(wav.channels.length, 2);
        assert.equal(wav.channels[0]!.length, 2 * 48000);
        const [l, r] = wav.channels as [Float32Array, Float32Array];
        assert.ok(Math.abs(rmsDb(l) - 20 * Math.log10(0.2 / Math.SQRT2)) < 0.5);
        const strict = { toleranceHz: 1, minToneRatioDb: 25, dropoutRelativeDb: 6, maxGlitchWindowsPer10s: null };
        return [
          { label: 'sine left', samples: l, freq: SINE_LEFT_HZ, criteria: strict },
          { label: 'sine right', samples: r, freq: SINE_RIGHT_HZ, criteria: { ...strict, minToneRatioDb: null } },
        ];
      },
    });
  } finally {
    await g.stopAll();
  }
  assert.ok(g.processes.every((p) => !p.running));
  assert.deepEqual(readdirSync('/dev/shm').filter((f) => f.includes(`_${name}_`)), []);
});
