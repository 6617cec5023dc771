// Runs on the booted image, on the other end of the kernel's loopback sound card (snd-aloop) that
// the box's client uses as its audio interface: what is played into hw:Loopback,1 arrives at the
// box's capture (hw:Loopback,0), and what the box plays comes out of hw:Loopback,1's capture.
//   node guest-tone.cjs play FREQ SECONDS        a stereo sine into the box's input (aplay)
//   node guest-tone.cjs record SECONDS FREQ...   records the box's output (arecord) and prints
//     TONE {"seconds":…,"rmsDb":…,"tones":{"240":{"levelDb":…,"ratioDb":…}},"quietWindows":…}
// levelDb is the tone's level in dB full scale, ratioDb its power against everything else (both the median
// of 100-ms windows).
const { spawn } = require('node:child_process');
const RATE = 48000;
const PCM = process.env.TONE_PCM ?? 'hw:Loopback,1,0';
const [mode, ...rest] = process.argv.slice(2);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? -200;
const alsaArgs = ['-D', PCM, '-f', 'S16_LE', '-r', String(RATE), '-c', '2', '-t', 'raw', '-q'];

if (mode === 'play') {
  const freq = Number(rest[0]);
  const seconds = Number(rest[1]);
  const aplay = spawn('aplay', alsaArgs, { stdio: ['pipe', 'inherit', 'inherit'] });
  const chunk = 4800;
  let n = 0;
  const total = seconds * RATE;
  const write = () => {
    while (n < total) {
      const buf = Buffer.alloc(chunk * 4);
      for (let i = 0; i < chunk; i++, n++) {
        const v = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * freq * n) / RATE));
        buf.writeInt16LE(v, i * 4);
        buf.writeInt16LE(v, i * 4 + 2);
      }
      if (!aplay.stdin.write(buf)) return aplay.stdin.once('drain', write);
    }
    aplay.stdin.end();
  };
  write();
  aplay.on('exit', (code) => process.exit(code ?? 1));
} else if (mode === 'record') {
  const seconds = Number(rest[0]);
  const freqs = rest.slice(1).map(Number);
  const arecord = spawn('arecord', [...alsaArgs, '-d', String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const parts = [];
  arecord.stdout.on('data', (d) => parts.push(d));
  arecord.on('exit', () => {
    const raw = Buffer.concat(parts);
    // Left channel, without the first half second (the device and the stream settling).
    const skip = RATE / 2;
    const n = Math.max(0, Math.floor(raw.length / 4) - skip);
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = raw.readInt16LE((i + skip) * 4) / 32768;
    let power = 0;
    for (const v of x) power += v * v;
    power = n ? power / n : 0;
    const db = (p) => (p > 0 ? 10 * Math.log10(p) : -200);
    // Goertzel per 100-ms window, and the median window: the power of one frequency that survives the
    // phase jumps of xruns and clicks (which would cancel part of one transform over the whole recording).
    // Windows where the box played nothing at all (below -60 dBFS: the silence an xrun recovery plays,
    // frequent under emulation) are left out, so a tone is judged where the box played; `played` says
    // how many windows that was.
    const toneWindow = RATE / 10;
    let played = 0;
    const tones = {};
    for (const f of freqs) {
      const k = (2 * Math.PI * f) / RATE;
      const c = 2 * Math.cos(k);
      const levels = [];
      const ratios = [];
      for (let i = 0; i + toneWindow <= n; i += toneWindow) {
        let s1 = 0;
        let s2 = 0;
        let p = 0;
        for (let j = i; j < i + toneWindow; j++) {
          const s0 = x[j] + c * s1 - s2;
          s2 = s1;
          s1 = s0;
          p += x[j] * x[j];
        }
        if (db(p / toneWindow) < -60) continue;
        if (f === freqs[0]) played++;
        // A sine of amplitude A has power A²/2; |X|²/N² is A²/4 at its frequency.
        const tonePower = (2 * (s1 * s1 + s2 * s2 - c * s1 * s2)) / (toneWindow * toneWindow);
        levels.push(db(tonePower));
        ratios.push(db(tonePower) - db(Math.max(p / toneWindow - tonePower, 1e-12)));
      }
      tones[f] = { levelDb: +median(levels).toFixed(1), ratioDb: +median(ratios).toFixed(1) };
    }
    // 10 ms windows more than 30 dB under the median window: gaps in what the box played.
    const w = RATE / 100;
    const levels = [];
    for (let i = 0; i + w <= n; i += w) {
      let p = 0;
      for (let j = i; j < i + w; j++) p += x[j] * x[j];
      levels.push(db(p / w));
    }
    const typical = median(levels);
    const quiet = levels.filter((l) => l < typical - 30).length;
    console.log(`TONE ${JSON.stringify({ seconds: +(n / RATE).toFixed(2), rmsDb: +db(power).toFixed(1), tones, windows: levels.length, quietWindows: quiet, playedToneWindows: `${played}/${Math.floor(n / toneWindow)}` })}`);
  });
} else {
  console.error('usage: guest-tone.cjs play FREQ SECONDS | record SECONDS FREQ...');
  process.exit(2);
}
