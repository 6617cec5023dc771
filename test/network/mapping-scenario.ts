// What the port-mapping tests share: the server's mapping state and reachability report over its
// JSON-RPC, polled until a condition holds, and the settings change + reload a saved admin form does.
import type { JsonRpcClient } from '../harness/jsonrpc-client.js';
import type { SettingsStore } from '../../appliance/src/settings/store.js';
import type { SettingsPatch } from '../../appliance/src/settings/schema.js';
import type { PortMapAnswer } from '../../webadmin/src/reach-view.js';
import type { ReachabilityAnswer } from '../../appliance/src/reach/reach-monitor.js';
import type { ReachEntry } from '../../appliance/src/reach/reachability.js';

export type { PortMapAnswer, ReachabilityAnswer };

export function portMapping(rpc: JsonRpcClient): Promise<PortMapAnswer> {
  return rpc.call<PortMapAnswer>('riffbox/getPortMapping');
}

export async function reachability(rpc: JsonRpcClient): Promise<ReachabilityAnswer> {
  const saved = rpc.callTimeoutMs;
  rpc.callTimeoutMs = 8000;
  try {
    return await rpc.call<ReachabilityAnswer>('riffbox/getReachability');
  } finally {
    rpc.callTimeoutMs = saved;
  }
}

export function entryOf(r: ReachabilityAnswer, kind: ReachEntry['kind']): ReachEntry {
  const e = r.entries.find((x) => x.kind === kind);
  if (!e) throw new Error(`no ${kind} entry in ${JSON.stringify(r.entries)}`);
  return e;
}

/** Polls `probe` every 250 ms until `pred` holds; the last value is in the error otherwise. */
export async function waitUntil<T>(what: string, probe: () => Promise<T>, pred: (v: T) => boolean, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (pred(last)) return { value: last, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function waitMapped(rpc: JsonRpcClient, port: number, timeoutMs = 15000): Promise<{ value: PortMapAnswer; ms: number }> {
  return waitUntil(`the IPv4 mapping of udp/${port}`, () => portMapping(rpc), (m) => m.ipv4.state === 'mapped' && m.ipv4.internalPort === port, timeoutMs);
}

/** What saving an admin form does: write the store, then riffbox/reload (resolves once applied). */
export async function saveAndReload(store: SettingsStore, rpc: JsonRpcClient, patch: SettingsPatch): Promise<void> {
  store.update(patch);
  const saved = rpc.callTimeoutMs;
  rpc.callTimeoutMs = 20000;
  try {
    await rpc.call('riffbox/reload');
  } finally {
    rpc.callTimeoutMs = saved;
  }
}

/** The expiry time (Unix seconds) miniupnpd's lease file gives the UDP mapping of `port`, or null. */
export function leaseExpiry(leases: string, port: number): number | null {
  for (const line of leases.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'UDP' && Number(f[1]) === port) return Number(f[4]);
  }
  return null;
}
