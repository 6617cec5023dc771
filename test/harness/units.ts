// The image's systemd units as the tests run them: each unit's own ExecStart, read from
// overlays/rootfs, with only what cannot exist on a test machine remapped — the installed
// wrapper becomes this checkout's CLI, /var/lib/riffbox (StateDirectory=riffbox) a test folder,
// and values the caller names (the admin's port 80) free ones. Everything else runs as written.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const UNIT_DIR = fileURLToPath(new URL('../../../overlays/rootfs/etc/systemd/system/', import.meta.url));
export const CLI = fileURLToPath(new URL('../../appliance/src/cli.js', import.meta.url));
const WRAPPER = '/usr/local/bin/riffbox';
const STATE_DIR = '/var/lib/riffbox';

/** The words of a unit's ExecStart= line (riffbox's units use no quoting or specifiers). */
export function unitExecStart(unit: string): string[] {
  const text = readFileSync(`${UNIT_DIR}${unit}`, 'utf8');
  const lines = text.split('\n').filter((l) => l.startsWith('ExecStart='));
  if (lines.length !== 1) throw new Error(`${unit}: expected one ExecStart=, found ${lines.length}`);
  const words = lines[0]!.slice('ExecStart='.length).trim().split(/\s+/);
  if (words.some((w) => /["'%$]/.test(w))) throw new Error(`${unit}: ExecStart uses quoting or specifiers this reader does not handle`);
  return words;
}

/**
 * The command line to spawn for a unit: [node, cli, ...args], with the state directory moved to
 * `stateDir` and each `--flag value` in `replace` given the new value (the flag must be in the unit).
 */
export function unitCommand(unit: string, stateDir: string, replace: Readonly<Record<string, string>> = {}): { cmd: string; args: string[] } {
  const words = unitExecStart(unit);
  if (words[0] !== WRAPPER) throw new Error(`${unit}: ExecStart does not run ${WRAPPER}`);
  const args = words.slice(1).map((w) => w.split(STATE_DIR).join(stateDir));
  for (const [flag, value] of Object.entries(replace)) {
    const i = args.indexOf(flag);
    if (i < 0 || i + 1 >= args.length) throw new Error(`${unit}: ExecStart has no ${flag} to replace`);
    args[i + 1] = value;
  }
  return { cmd: process.execPath, args: [CLI, ...args] };
}
