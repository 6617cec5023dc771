// Runs the root helper: `sudo -n /usr/local/sbin/riffbox-apply VERB` on the box, or this checkout's
// copy of the helper with RIFFBOX_ROOT set, so a developer's machine is never reconfigured.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type HelperVerb =
  | 'ddns-apply' | 'ddns-update-now' | 'ddns-status'
  | 'network-apply' | 'network-confirm' | 'network-revert' | 'network-status'
  | 'hostname-apply' | 'logs' | 'reboot' | 'usb-mount' | 'usb-unmount';

export interface HelperResult {
  readonly ok: boolean;
  readonly output: string;
}

export type HelperMode = { readonly kind: 'system' } | { readonly kind: 'checkout'; readonly root: string; readonly db: string; readonly env?: Readonly<Record<string, string>> };

export const SYSTEM_HELPER = '/usr/local/sbin/riffbox-apply';
export const CHECKOUT_HELPER = fileURLToPath(new URL('../../../overlays/rootfs/usr/local/sbin/riffbox-apply', import.meta.url));

export class Helper {
  constructor(readonly mode: HelperMode) {}

  run(verb: HelperVerb, timeoutMs = 90000): Promise<HelperResult> {
    const [cmd, args, env] =
      this.mode.kind === 'system'
        ? ['sudo', ['-n', SYSTEM_HELPER, verb], process.env]
        : [CHECKOUT_HELPER, [verb], { ...process.env, ...this.mode.env, RIFFBOX_ROOT: this.mode.root, RIFFBOX_DB: this.mode.db }];
    return new Promise((resolve) => {
      execFile(cmd, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ ok: !err, output: `${String(stdout)}${String(stderr)}`.trim() });
      });
    });
  }
}
