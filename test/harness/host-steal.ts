// CPU time the hypervisor took from this VM ("steal", the 8th number of /proc/stat's cpu line).
// The test machines are 2-vCPU VMs on shared hosts: when the host is busy, whole milliseconds of
// every real-time deadline vanish (10 s windows have been seen losing 1–12 s of CPU time), and
// every audio peer — Debian's Jamulus as much as riffbox — clicks. Measuring it lets an audio test
// tell "the host took the CPU away" from "the code under test broke the audio".
import { readFileSync } from 'node:fs';

interface CpuTimes {
  steal: number;
  total: number;
}

function readCpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (USER_HZ ticks)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 8 || f.some((n) => !Number.isFinite(n))) return undefined;
    return { steal: f[7]!, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

export interface StealReading {
  /** Stolen share of all CPU time since the meter started (0…1); 0 where /proc/stat has no steal field. */
  fraction: number;
  /** Stolen CPU milliseconds since the meter started, summed over all CPUs. */
  stolenMs: number;
}

/** Starts measuring now; every read() reports the steal since then. */
export function stealMeter(): { read(): StealReading } {
  const start = readCpuTimes();
  return {
    read(): StealReading {
      const now = readCpuTimes();
      if (!start || !now || now.total <= start.total) return { fraction: 0, stolenMs: 0 };
      const steal = now.steal - start.steal;
      // USER_HZ is 100 on every Linux build these tests run on.
      return { fraction: steal / (now.total - start.total), stolenMs: steal * 10 };
    },
  };
}

export function describeSteal(r: StealReading): string {
  return `host stole ${(r.fraction * 100).toFixed(1)} % of CPU time (${(r.stolenMs / 1000).toFixed(2)} CPU-s)`;
}
