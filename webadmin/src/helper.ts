// Runs the root helper. On the box the admin has no privileges at all (NoNewPrivileges=yes): it
// asks systemd to start `riffbox-apply@VERB.service`, which polkit allows it for the fixed verbs
// only, and reads what that run printed from /run/riffbox-apply/VERB.out. From a checkout it runs
// this checkout's copy of the helper directly with RIFFBOX_ROOT set, so a developer's machine is
// never reconfigured.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HELPER_OUTPUT_DIR } from './box-paths.js';
import type { AdminVerb, Verb } from './apply/verbs.js';

export type HelperVerb = AdminVerb;

export interface HelperResult {
  readonly ok: boolean;
  readonly output: string;
}

export type HelperMode = { readonly kind: 'system' } | { readonly kind: 'checkout'; readonly root: string; readonly db: string; readonly env?: Readonly<Record<string, string>> };

export const SYSTEM_HELPER = '/usr/local/sbin/riffbox-apply';
export const CHECKOUT_HELPER = fileURLToPath(new URL('../../../overlays/rootfs/usr/local/sbin/riffbox-apply', import.meta.url));

/** The templated unit that runs one verb as root. */
export function helperUnit(verb: AdminVerb): string {
  return `riffbox-apply@${verb}.service`;
}

function exec(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ ok: !err, output: `${String(stdout)}${String(stderr)}`.trim() });
    });
  });
}

export class Helper {
  constructor(readonly mode: HelperMode) {}

  async run(verb: HelperVerb, timeoutMs = 90000): Promise<HelperResult> {
    if (this.mode.kind === 'checkout') return this.runCheckout(verb, timeoutMs);
    // `start` of a oneshot returns when the run has finished, non-zero if it failed.
    const r = await exec('systemctl', ['start', '--no-ask-password', helperUnit(verb)], process.env, timeoutMs);
    let output = '';
    try {
      output = (await readFile(`${HELPER_OUTPUT_DIR}/${verb}.out`, 'utf8')).trim();
    } catch {
      // The unit never ran (polkit refused, or systemd is unreachable): systemctl's message says why.
    }
    return { ok: r.ok, output: output !== '' ? output : r.output };
  }

  /** Checkout only: any verb, the system ones included (`riffbox admin` runs boot-config at its start, as a boot would). */
  runCheckout(verb: Verb, timeoutMs = 90000): Promise<HelperResult> {
    if (this.mode.kind !== 'checkout') throw new Error('runCheckout is for a checkout');
    return exec(CHECKOUT_HELPER, [verb], { ...process.env, ...this.mode.env, RIFFBOX_ROOT: this.mode.root, RIFFBOX_DB: this.mode.db }, timeoutMs);
  }
}
