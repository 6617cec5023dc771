// Where the root helper writes: `/` on the box, or a local folder when run from a checkout, so a
// developer's machine is never reconfigured. The bash wrapper (overlays/.../riffbox-apply) decides
// the mode and has already refused anything but a fixed verb.
import { readlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface ApplyContext {
  /** `/` on the box. */
  readonly root: string;
  readonly checkout: boolean;
  readonly db: string;
  /** Only on the box: systemctl, nmcli, hostnamectl, journalctl act on the real system. */
  readonly system: boolean;
  /** In a network namespace other than the host's (a test), `ip` may change addresses even from a checkout. */
  readonly privateNetns: boolean;
  readonly webv4: string | undefined;
  path(p: string): string;
}

function inPrivateNetns(): boolean {
  try {
    return readlinkSync('/proc/self/ns/net') !== readlinkSync('/proc/1/ns/net');
  } catch {
    // Containers hide PID 1's namespace; a named namespace (`ip netns add`) still identifies itself.
  }
  try {
    return execFileSync('ip', ['netns', 'identify'], { encoding: 'utf8', timeout: 3000 }).trim() !== '';
  } catch {
    return false;
  }
}

export function contextFromEnv(env: NodeJS.ProcessEnv): ApplyContext {
  const root = env.RIFFBOX_ROOT && env.RIFFBOX_ROOT !== '/' ? env.RIFFBOX_ROOT : '/';
  const checkout = root !== '/';
  const db = checkout ? env.RIFFBOX_DB ?? '' : '/var/lib/riffbox/settings.db';
  if (db === '') throw new Error('RIFFBOX_DB must name the settings database when RIFFBOX_ROOT is set');
  return {
    root,
    checkout,
    db,
    system: !checkout,
    privateNetns: inPrivateNetns(),
    // Only a checkout may point ddclient's address lookup elsewhere (tests use a local endpoint).
    webv4: checkout ? env.RIFFBOX_DDNS_WEBV4 : undefined,
    path: (p: string) => (checkout ? join(root, p) : p),
  };
}
