// What the box's own system says about itself: addresses and routes from `ip -j` (read-only, no
// privileges needed), CPU load from /proc/stat, SoC temperature from sysfs, uptime.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { addressKind } from '../../appliance/src/reach/local-addresses.js';

export interface NetworkInfo {
  readonly iface: string | null;
  readonly mac: string | null;
  readonly address: string | null;
  readonly prefix: number | null;
  readonly gateway: string | null;
  /** `dhcp` when the kernel marks the address dynamic (NetworkManager, dhclient, networkd all do). */
  readonly method: 'dhcp' | 'static' | 'unknown';
  /** The global IPv6 address friends can use (a stable one before a privacy address), or null. */
  readonly ipv6: string | null;
}

function execJson(cmd: string, args: readonly string[]): Promise<unknown> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: 3000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        resolve(JSON.parse(stdout));
      } catch {
        resolve(undefined);
      }
    });
  });
}

interface IpRoute { dst?: string; gateway?: string; dev?: string; metric?: number }
interface IpAddrInfo { family?: string; local?: string; prefixlen?: number; dynamic?: boolean; scope?: string; temporary?: boolean; deprecated?: boolean; tentative?: boolean }
interface IpLink { ifname?: string; address?: string; link_type?: string; operstate?: string; addr_info?: IpAddrInfo[] }

export async function readNetworkInfo(): Promise<NetworkInfo> {
  const [routes, links] = (await Promise.all([execJson('ip', ['-j', '-4', 'route', 'show', 'default']), execJson('ip', ['-j', 'addr', 'show'])])) as [
    IpRoute[] | undefined,
    IpLink[] | undefined,
  ];
  const def = (routes ?? []).filter((r) => r.dst === 'default').sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0];
  const candidates = (links ?? []).filter((l) => l.link_type !== 'loopback');
  const link = candidates.find((l) => l.ifname === def?.dev) ?? candidates.find((l) => (l.addr_info ?? []).some((a) => a.family === 'inet'));
  const inet = (link?.addr_info ?? []).find((a) => a.family === 'inet' && a.scope !== 'host');
  const global6 = candidates
    .flatMap((l) => l.addr_info ?? [])
    .filter((a) => a.family === 'inet6' && a.scope === 'global' && !a.deprecated && !a.tentative && a.local && addressKind(a.local) === 'public')
    .sort((a, b) => Number(a.temporary === true) - Number(b.temporary === true));
  return {
    iface: link?.ifname ?? null,
    mac: link?.address ?? null,
    address: inet?.local ?? null,
    prefix: inet?.prefixlen ?? null,
    gateway: def?.gateway ?? null,
    method: inet ? (inet.dynamic ? 'dhcp' : 'static') : 'unknown',
    ipv6: global6[0]?.local ?? null,
  };
}

let lastCpu: { busy: number; total: number } | null = null;

/** Percent of all cores busy since the previous call (the first call: since boot). */
export async function cpuPercent(): Promise<number | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const n = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    const total = n.reduce((a, b) => a + b, 0);
    const busy = total - idle;
    const prev = lastCpu;
    lastCpu = { busy, total };
    const dt = prev ? total - prev.total : total;
    const db = prev ? busy - prev.busy : busy;
    return dt > 0 ? Math.round((100 * db) / dt) : null;
  } catch {
    return null;
  }
}

export async function temperatureC(): Promise<number | null> {
  try {
    const milli = Number((await readFile('/sys/class/thermal/thermal_zone0/temp', 'utf8')).trim());
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  } catch {
    return null;
  }
}

export async function uptimeSeconds(): Promise<number | null> {
  try {
    return Math.floor(Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]));
  } catch {
    return null;
  }
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m`;
}
