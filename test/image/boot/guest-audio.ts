// The box's musician and the box's headphones, on the guest's loopback sound card (image/lib/guest-tone.cjs).
import type { Vm } from './vm.js';
import { putGuestScript } from './boot-checks.js';
import { slow } from './phone.js';

export interface ToneReport {
  seconds: number;
  rmsDb: number;
  tones: Record<string, { levelDb: number; ratioDb: number }>;
  windows: number;
  quietWindows: number;
  /** 100-ms windows in which the box played anything (the tone levels are judged over these), of all. */
  playedToneWindows: string;
}

/** Starts a sine into the box's input for `seconds`, in the background. */
export async function playIntoBox(vm: Vm, freq: number, seconds: number): Promise<void> {
  await putGuestScript(vm, 'guest-tone.cjs');
  await vm.shell.run(`pkill -f "guest-tone.cjs play" ; (nohup node /run/guest-tone.cjs play ${freq} ${seconds} > /run/tone-play.log 2>&1 &)`);
}

/** Records what the box plays for `seconds` and measures the given frequencies. */
export async function recordBox(vm: Vm, seconds: number, freqs: readonly number[]): Promise<ToneReport> {
  const r = await vm.shell.run(`node /run/guest-tone.cjs record ${seconds} ${freqs.join(' ')}`, seconds * 1000 + slow(60000));
  const m = /TONE (\{.*\})/.exec(r.out);
  if (!m) throw new Error(`recording the box's output failed (exit ${r.code}): ${r.out.slice(-400)}`);
  return JSON.parse(m[1]!) as ToneReport;
}
