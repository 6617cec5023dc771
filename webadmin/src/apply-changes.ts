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

/**
 * applyChanges without making the phone wait, for the whole-box operations (a factory reset, a restore):
 * their reloads and root-helper verbs together can outlast a phone browser's patience on a busy box. The
 * settings are stored before this is called; the log keeps whatever did not apply.
 */
export function applyChangesLater(d: AdminDeps, changed: readonly SettingKey[], what: string): void {
  const running = applyChanges(d, changed).then(
    (outcomes) => {
      for (const o of outcomes) if (!o.ok) console.error(`riffbox admin: ${what}: ${o.target} did not take the settings: ${o.message}`);
    },
    (e: Error) => console.error(`riffbox admin: ${what}: applying the settings failed: ${e.message}`),
  );
  let set = later.get(d);
  if (!set) later.set(d, (set = new Set()));
  set.add(running);
  void running.finally(() => set.delete(running));
}

const later = new WeakMap<AdminDeps, Set<Promise<void>>>();

/** Waits (at most `limitMs`) for what applyChangesLater started, so a stopping admin does not cut a helper verb short. */
export async function settleLaterChanges(d: AdminDeps, limitMs: number): Promise<void> {
  const set = later.get(d);
  if (!set || set.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
  await Promise.race([Promise.all(set), limit]);
  clearTimeout(timer);
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
