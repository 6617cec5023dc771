// Verbs network-apply, network-confirm, network-revert and network-revert-due. A static IP can cut
// the phone off, so every apply records what was there before and schedules its own revert; only a
// confirm (which the admin accepts only from the new address) cancels it.
//
// Backends: NetworkManager keyfile + nmcli on the box; plain `ip` inside a private network
// namespace (the tests); from a checkout in the host's namespace, the keyfile is written under the
// local root and nothing is applied.
import { readFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ApplyContext } from './context.js';
import { removeIfExists, writeAtomic } from './files.js';
import { readSettings } from './settings-reader.js';
import { run, runChecked } from './run.js';
import type { FlatSettings } from '../../../appliance/src/settings/index.js';

const KEYFILE = '/etc/NetworkManager/system-connections/riffbox-static.nmconnection';
const PENDING = '/var/lib/riffbox-apply/network-pending.json';
const CONNECTION_ID = 'riffbox-static';
const REVERT_UNIT = 'riffbox-network-revert';

interface SavedAddress { local: string; prefixlen: number }
interface Pending {
  readonly iface: string;
  readonly address: string;
  readonly deadline: number;
  readonly previous: { addresses: SavedAddress[]; gateway: string | null };
  readonly backend: Backend;
  readonly sleeperPid?: number;
}
type Backend = 'nm' | 'ip' | 'files';

function backendFor(ctx: ApplyContext): Backend {
  if (ctx.system) return 'nm';
  return ctx.privateNetns ? 'ip' : 'files';
}

async function currentState(): Promise<{ iface: string; addresses: SavedAddress[]; gateway: string | null }> {
  const routes = JSON.parse(await runChecked('ip', ['-j', '-4', 'route', 'show', 'default'])) as { dev?: string; gateway?: string }[];
  const links = JSON.parse(await runChecked('ip', ['-j', '-4', 'addr', 'show'])) as { ifname: string; link_type?: string; addr_info?: { local: string; prefixlen: number; scope?: string }[] }[];
  const iface = routes[0]?.dev ?? links.find((l) => l.link_type !== 'loopback' && (l.addr_info ?? []).length > 0)?.ifname;
  if (!iface) throw new Error('no network interface with an IPv4 address');
  const link = links.find((l) => l.ifname === iface);
  return {
    iface,
    addresses: (link?.addr_info ?? []).filter((a) => a.scope !== 'host').map((a) => ({ local: a.local, prefixlen: a.prefixlen })),
    gateway: routes.find((r) => r.dev === iface)?.gateway ?? null,
  };
}

export function renderKeyfile(iface: string, s: FlatSettings): string {
  const dns = s['network.dns'];
  return [
    '# Written by riffbox-apply from the admin page.',
    '[connection]',
    `id=${CONNECTION_ID}`,
    'type=ethernet',
    `interface-name=${iface}`,
    'autoconnect-priority=100',
    '',
    '[ipv4]',
    'method=manual',
    `address1=${s['network.address']}/${s['network.prefix']},${s['network.gateway']}`,
    ...(dns.length > 0 ? [`dns=${dns.join(';')};`] : []),
    '',
    '[ipv6]',
    'method=auto',
    '',
  ].join('\n');
}

function readPending(ctx: ApplyContext): Pending | null {
  try {
    return JSON.parse(readFileSync(ctx.path(PENDING), 'utf8')) as Pending;
  } catch {
    return null;
  }
}

async function ipSet(iface: string, addresses: readonly SavedAddress[], gateway: string | null): Promise<void> {
  await runChecked('ip', ['-4', 'addr', 'flush', 'dev', iface, 'scope', 'global']);
  for (const a of addresses) await runChecked('ip', ['-4', 'addr', 'add', `${a.local}/${a.prefixlen}`, 'dev', iface]);
  if (gateway) await runChecked('ip', ['-4', 'route', 'replace', 'default', 'via', gateway, 'dev', iface]);
}

async function scheduleRevert(ctx: ApplyContext, seconds: number): Promise<number | undefined> {
  if (ctx.system) {
    // A transient systemd timer outlives the admin (and this helper), which the revert must.
    await run('systemctl', ['stop', `${REVERT_UNIT}.timer`]);
    await runChecked('systemd-run', [`--unit=${REVERT_UNIT}`, `--on-active=${seconds}s`, '/usr/local/sbin/riffbox-apply', 'network-revert-due']);
    return undefined;
  }
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'network-revert-due', '--after', String(seconds)], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  child.unref();
  return child.pid;
}

export async function networkApply(ctx: ApplyContext): Promise<number> {
  const s = readSettings(ctx.db);
  const backend = backendFor(ctx);
  const pending = readPending(ctx);
  if (pending) {
    console.log('FAILED: a network change is waiting for confirmation; confirm or revert it first');
    return 1;
  }
  const now = await currentState();
  if (!s['network.staticEnabled']) {
    // Back to DHCP: nothing can be cut off that DHCP would not give back, so no revert timer.
    removeIfExists(ctx.path(KEYFILE));
    if (backend === 'nm') {
      await run('nmcli', ['connection', 'delete', CONNECTION_ID]);
      await run('nmcli', ['device', 'connect', now.iface]);
    }
    console.log(`DHCP on ${now.iface}${backend === 'files' ? ' (checkout: not applied)' : ''}`);
    return 0;
  }
  const seconds = s['network.revertSeconds'];
  writeAtomic(ctx.path(KEYFILE), renderKeyfile(now.iface, s), 0o600);
  const record: Pending = {
    iface: now.iface,
    address: s['network.address'],
    deadline: Date.now() + seconds * 1000,
    previous: { addresses: now.addresses, gateway: now.gateway },
    backend,
  };
  writeAtomic(ctx.path(PENDING), JSON.stringify(record), 0o600);
  if (backend === 'nm') {
    await runChecked('nmcli', ['connection', 'load', KEYFILE]);
    await runChecked('nmcli', ['connection', 'up', CONNECTION_ID], 60000);
  } else if (backend === 'ip') {
    await ipSet(now.iface, [{ local: s['network.address'], prefixlen: s['network.prefix'] }], s['network.gateway']);
  }
  const sleeperPid = await scheduleRevert(ctx, seconds);
  if (sleeperPid !== undefined) writeAtomic(ctx.path(PENDING), JSON.stringify({ ...record, sleeperPid }), 0o600);
  console.log(`static ${s['network.address']}/${s['network.prefix']} on ${now.iface}${backend === 'files' ? ' (checkout: not applied)' : ''}; reverts in ${seconds} s unless confirmed`);
  return 0;
}

export async function networkConfirm(ctx: ApplyContext): Promise<number> {
  const p = readPending(ctx);
  if (!p) {
    console.log('nothing to confirm');
    return 0;
  }
  if (ctx.system) await run('systemctl', ['stop', `${REVERT_UNIT}.timer`]);
  else if (p.sleeperPid) {
    try {
      process.kill(p.sleeperPid, 'SIGTERM');
    } catch {
      // Already gone; the pending file is what the revert checks anyway.
    }
  }
  removeIfExists(ctx.path(PENDING));
  console.log(`kept ${p.address} on ${p.iface}`);
  return 0;
}

/** `due`: only when the deadline has passed (the timer's call); otherwise at once (the page's button). */
export async function networkRevert(ctx: ApplyContext, due: boolean): Promise<number> {
  const p = readPending(ctx);
  if (!p) {
    console.log('nothing to revert');
    return 0;
  }
  if (due && Date.now() < p.deadline - 1000) {
    console.log('not due yet');
    return 0;
  }
  removeIfExists(ctx.path(KEYFILE));
  if (p.backend === 'nm') {
    await run('nmcli', ['connection', 'delete', CONNECTION_ID]);
    await run('nmcli', ['device', 'connect', p.iface], 60000);
  } else if (p.backend === 'ip') {
    await ipSet(p.iface, p.previous.addresses, p.previous.gateway);
  }
  removeIfExists(ctx.path(PENDING));
  console.log(`reverted ${p.iface} to ${p.previous.addresses.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'DHCP'}`);
  return 0;
}

export function networkPendingJson(ctx: ApplyContext): number {
  const p = readPending(ctx);
  const keyfile = keyfileExists(ctx);
  console.log(JSON.stringify(p ? { pending: true, keyfile, address: p.address, iface: p.iface, deadline: new Date(p.deadline).toISOString() } : { pending: false, keyfile }));
  return 0;
}

export function keyfileExists(ctx: ApplyContext): boolean {
  return existsSync(ctx.path(KEYFILE));
}
