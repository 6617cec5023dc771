// Verbs ddns-apply, ddns-update-now and ddns-status.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApplyContext } from './context.js';
import { writeAtomic } from './files.js';
import { DEFAULT_WEBV4, parseDdclientCache, renderDdclientConf } from './ddclient-conf.js';
import { readSettingsWithSecrets } from './settings-reader.js';
import { run } from './run.js';
import { globalIPv6Addresses } from '../../../appliance/src/reach/local-addresses.js';
import type { FlatSettings } from '../../../appliance/src/settings/index.js';

const CONF = '/etc/ddclient.conf';
const CACHE = '/var/cache/ddclient/ddclient.cache';

function paths(ctx: ApplyContext): { conf: string; cache: string } {
  return { conf: ctx.path(CONF), cache: ctx.path(CACHE) };
}

/** Replaces every secret (and its base64 in an Authorization header) in text shown to the admin. */
export function scrub(text: string, s: FlatSettings): string {
  let out = text;
  const secrets = [s['ddns.password'], s['ddns.token']].filter((x) => x.length >= 1);
  for (const v of secrets) {
    out = out.split(v).join('********');
    for (const login of [s['ddns.username'], 'token']) {
      const b64 = Buffer.from(`${login}:${v}`).toString('base64');
      out = out.split(b64).join('********');
    }
    out = out.split(encodeURIComponent(v)).join('********');
  }
  return out;
}

async function writeConf(ctx: ApplyContext, s: FlatSettings): Promise<boolean> {
  const p = paths(ctx);
  const ifv6 = (await globalIPv6Addresses())[0]?.iface ?? 'eth0';
  const conf = renderDdclientConf(s, { cache: p.cache, webv4: ctx.webv4 ?? DEFAULT_WEBV4, ifv6 });
  if (conf === null) return false;
  writeAtomic(p.conf, conf, 0o600);
  return true;
}

export async function ddnsApply(ctx: ApplyContext): Promise<number> {
  const s = await readSettingsWithSecrets(ctx);
  const on = await writeConf(ctx, s);
  if (!ctx.system) {
    console.log(on ? `wrote ${paths(ctx).conf} (checkout: ddclient service not restarted)` : 'DDNS is off (checkout: nothing to stop)');
    return 0;
  }
  const r = on ? await run('systemctl', ['enable', '--now', 'ddclient.service']) : await run('systemctl', ['disable', '--now', 'ddclient.service']);
  if (on && r.code === 0) await run('systemctl', ['restart', 'ddclient.service']);
  console.log(on ? 'ddclient configured and restarted' : 'ddclient stopped (DDNS is off)');
  return r.code === 0 ? 0 : 1;
}

export async function ddnsUpdateNow(ctx: ApplyContext): Promise<number> {
  const s = await readSettingsWithSecrets(ctx);
  if (!(await writeConf(ctx, s))) {
    console.log('FAILED: Dynamic DNS is off');
    return 1;
  }
  const p = paths(ctx);
  mkdirSync(dirname(p.cache), { recursive: true, mode: 0o700 });
  const r = await run('ddclient', ['-daemon=0', '-foreground', '-force', '-verbose', '-noquiet', '-file', p.conf, '-cache', p.cache], 60000);
  const out = scrub(`${r.stdout}${r.stderr}`, s);
  const ok = /^SUCCESS:/m.test(out) && !/^FAILED:/m.test(out);
  const summary = out.split('\n').filter((l) => /^(SUCCESS|FAILED|WARNING):/.test(l));
  console.log(ok ? 'SUCCESS' : 'FAILED');
  console.log(summary.length > 0 ? summary.join('\n') : out.trim().split('\n').slice(-8).join('\n'));
  // Keep the daemon's view in step with the file just written.
  if (ctx.system) await run('systemctl', ['try-restart', 'ddclient.service']);
  return ok ? 0 : 1;
}

export function ddnsStatus(ctx: ApplyContext): number {
  let text = '';
  try {
    text = readFileSync(paths(ctx).cache, 'utf8');
  } catch {
    // No update has been made yet.
  }
  console.log(JSON.stringify(parseDdclientCache(text)));
  return 0;
}
