// Mixer cost per tick: every client's input set, then every client's personal mix built.
// Prints figures only. Run: npx tsc -p tsconfig.json && node dist/test/bench/mixer-bench.js
//
// Scenarios:
//   default  — all gains 1, pans centre (the common case)
//   moved    — every listener moved 3 faders (gain and pan)
//   all      — every listener moved every fader (worst case)
// Half the clients are stereo, half mono; destinations use their own channel count.

import { Mixer } from '../../appliance/src/audio/mixer.js';

type Scenario = 'default' | 'moved' | 'all';

function setup(clients: number, frame: number, scenario: Scenario): { mixer: Mixer; inputs: Int16Array[]; outs: Int16Array[] } {
  const mixer = new Mixer(150, frame);
  const inputs: Int16Array[] = [];
  const outs: Int16Array[] = [];
  for (let c = 0; c < clients; c++) {
    const ch = c % 2 === 0 ? 1 : 2;
    const x = new Int16Array(frame * ch);
    for (let i = 0; i < x.length; i++) x[i] = Math.round(Math.sin((i + c * 7) * 0.05) * 8000);
    inputs.push(x);
    outs.push(new Int16Array(frame * ch));
    for (let s = 0; s < clients; s++) {
      const move = scenario === 'all' || (scenario === 'moved' && (s - c + clients) % clients < 3);
      if (move) {
        mixer.setGain(c, s, 0.3 + ((s * 13 + c) % 7) / 10);
        mixer.setPan(c, s, ((s * 5 + c) % 11) / 10);
      }
    }
  }
  return { mixer, inputs, outs };
}

function tick(mixer: Mixer, inputs: Int16Array[], outs: Int16Array[]): void {
  for (let c = 0; c < inputs.length; c++) mixer.setInput(c, inputs[c]!, c % 2 === 0 ? 1 : 2);
  for (let c = 0; c < inputs.length; c++) mixer.mixFor(c, c % 2 === 0 ? 1 : 2, outs[c]!);
}

function measure(clients: number, frame: number, scenario: Scenario): { wallUs: number; cpuUs: number; p99Us: number } {
  const { mixer, inputs, outs } = setup(clients, frame, scenario);
  for (let i = 0; i < 300; i++) tick(mixer, inputs, outs); // warm-up for the JIT
  const batches = 100;
  const perBatch = 10;
  const samples = new Float64Array(batches);
  const cpu0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) tick(mixer, inputs, outs);
    samples[b] = Number(process.hrtime.bigint() - t0) / 1000 / perBatch;
  }
  const wall = Number(process.hrtime.bigint() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  samples.sort();
  const ticks = batches * perBatch;
  return { wallUs: wall / ticks, cpuUs: (cpu.user + cpu.system) / ticks, p99Us: samples[Math.floor(batches * 0.99)]! };
}

// Wall time suffers when other processes share the cores; CPU time per tick is the steadier figure.
console.log('mixer: µs per tick (all inputs set + all personal mixes): CPU / wall mean / wall p99 of 10-tick batches');
for (const frame of [128, 64]) {
  for (const scenario of ['default', 'moved', 'all'] as const) {
    const parts: string[] = [];
    for (const clients of [10, 30, 50]) {
      const r = measure(clients, frame, scenario);
      parts.push(`${String(clients).padStart(2)} clients ${r.cpuUs.toFixed(0)} / ${r.wallUs.toFixed(0)} / ${r.p99Us.toFixed(0)}`);
    }
    console.log(`frame ${frame}, ${scenario.padEnd(7)}: ${parts.join('   ')}`);
  }
}
