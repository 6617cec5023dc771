// Verbs hostname-apply, logs and reboot.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplyContext } from './context.js';
import { writeAtomic } from './files.js';
import { readSettings } from './settings-reader.js';
import { run } from './run.js';

const UNITS = ['riffbox-server', 'riffbox-client', 'riffbox-admin', 'riffbox-firstboot', 'riffbox-bootconfig', 'riffbox-apply@*', 'ddclient'];
const LOG_LINES = 200;

/** /etc/hosts with the 127.0.1.1 line naming the new host (Debian's convention), other lines kept. */
export function hostsWithName(hosts: string, name: string): string {
  const lines = hosts.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === ''));
  const entry = `127.0.1.1\t${name}`;
  const i = lines.findIndex((l) => /^127\.0\.1\.1\s/.test(l));
  if (i >= 0) lines[i] = entry;
  else lines.push(entry);
  return lines.join('\n') + '\n';
}

export async function hostnameApply(ctx: ApplyContext): Promise<number> {
  const name = readSettings(ctx.db)['system.hostname'];
  let hosts = '127.0.0.1\tlocalhost\n';
  try {
    hosts = readFileSync(ctx.path('/etc/hosts'), 'utf8');
  } catch {
    // A fresh checkout root has none yet.
  }
  writeAtomic(ctx.path('/etc/hosts'), hostsWithName(hosts, name), 0o644);
  writeAtomic(ctx.path('/etc/hostname'), `${name}\n`, 0o644);
  if (ctx.system) {
    await run('hostnamectl', ['set-hostname', name]);
    // avahi announces NAME.local only after it re-reads the host name.
    await run('systemctl', ['try-restart', 'avahi-daemon.service']);
  }
  console.log(`host name ${name}${ctx.system ? '' : ' (checkout: written under the local root only)'}`);
  return 0;
}

export async function logs(ctx: ApplyContext): Promise<number> {
  if (ctx.system) {
    const r = await run('journalctl', [...UNITS.flatMap((u) => ['-u', u]), '-n', String(LOG_LINES), '--no-pager', '-o', 'short-iso']);
    process.stdout.write(r.stdout || r.stderr);
    return r.code;
  }
  const dir = ctx.path('/var/log/riffbox');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  } catch {
    // No log folder.
  }
  if (files.length === 0) console.log(`checkout: no service logs in ${dir} (run "riffbox all" with its output saved there)`);
  for (const f of files) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    console.log(`== ${f}\n${lines.slice(-LOG_LINES).join('\n')}`);
  }
  return 0;
}

export async function reboot(ctx: ApplyContext): Promise<number> {
  if (!ctx.system) {
    writeAtomic(ctx.path('/run/riffbox-reboot-requested'), `${new Date().toISOString()}\n`, 0o644);
    console.log('checkout: reboot requested (not done)');
    return 0;
  }
  const r = await run('systemctl', ['reboot']);
  console.log(r.code === 0 ? 'rebooting' : `reboot failed: ${r.stderr.trim()}`);
  return r.code;
}
