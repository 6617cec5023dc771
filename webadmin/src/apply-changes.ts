// After a save: tell whoever reads the changed settings. Services reload over JSON-RPC; the OS
// side goes through the root helper. The network is left out on purpose: a static IP needs the
// confirm-or-revert flow of the Network page, never a side effect of another save.
import { reloadTargets, type SettingKey } from '../../appliance/src/settings/index.js';
import type { AdminDeps } from './deps.js';

export interface ApplyOutcome {
  readonly target: string;
  readonly ok: boolean;
  readonly message: string;
}

export async function applyChanges(d: AdminDeps, changed: readonly SettingKey[]): Promise<ApplyOutcome[]> {
  const targets = reloadTargets(changed);
  const out: ApplyOutcome[] = [];
  for (const link of [d.server, d.client]) {
    if (!targets.has(link.name)) continue;
    try {
      await link.call('riffbox/reload', {}, 15000);
      out.push({ target: link.name, ok: true, message: '' });
    } catch (e) {
      out.push({ target: link.name, ok: false, message: (e as Error).message });
    }
  }
  if (targets.has('ddns')) {
    const r = await d.helper.run('ddns-apply');
    d.info.ddns.invalidate();
    out.push({ target: 'ddns', ok: r.ok, message: r.output });
  }
  if (targets.has('hostname')) {
    const r = await d.helper.run('hostname-apply');
    out.push({ target: 'hostname', ok: r.ok, message: r.output });
  }
  return out;
}
