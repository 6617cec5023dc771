// Timings a test may shorten through an environment variable, e.g.
// RIFFBOX_PORTMAP_TIMINGS="leaseS=20,checkMs=2000": the network tests run minutes of behaviour
// (lease renewals, back-offs) in seconds against real routers and directories.

/** `defaults` with the `name=value` items of `value` applied; throws on an unknown name or a bad number. */
export function timingsFrom<T extends object>(variable: string, value: string | undefined, defaults: Readonly<T>): T {
  const t = { ...defaults } as T;
  if (!value) return t;
  for (const part of value.split(',')) {
    const [k, v] = part.split('=');
    const key = k?.trim() ?? '';
    const n = Number(v);
    if (!key || !(key in t) || !Number.isFinite(n) || n <= 0) throw new Error(`${variable}: bad item "${part}"`);
    (t as Record<string, number>)[key] = n;
  }
  return t;
}
