// riffbox.txt on the card's FAT boot partition: the owner's way in that needs nothing but the card
// (webadmin/README.md, "Claiming the box"). Read tolerantly (a Windows editor adds a BOM and CRLF),
// rewritten keeping every line the owner wrote, with a dated note above each value the box took.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BOOT_KEYS = ['admin_password', 'claim_code', 'ssh_authorized_key'] as const;
export type BootKey = (typeof BOOT_KEYS)[number];

/** The file the image ships (and the helper writes again if the owner deleted it). */
export const BOOT_TEMPLATE = fileURLToPath(new URL('../../../../webadmin/boot/riffbox.txt', import.meta.url));
/** Larger is not a riffbox.txt; it is refused rather than parsed. */
export const BOOT_FILE_MAX_BYTES = 64 * 1024;
const NOTE_PREFIX = '# riffbox: ';

export function bootTemplate(shellUser: string): string {
  return readFileSync(BOOT_TEMPLATE, 'utf8').replaceAll('@SHELL_USER@', shellUser);
}

/** The values of the known keys ('' when absent or empty). Later lines win; unknown keys are ignored. */
export function parseBootFile(text: string): Record<BootKey, string> {
  const out: Record<BootKey, string> = { admin_password: '', claim_code: '', ssh_authorized_key: '' };
  for (const raw of lines(text)) {
    const line = raw.trimStart();
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    if ((BOOT_KEYS as readonly string[]).includes(key)) out[key as BootKey] = line.slice(eq + 1).trim();
  }
  return out;
}

function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/**
 * `text` with `key=value` (every line of that key, so a value cannot survive in a second line),
 * and `note` as the one `# riffbox:` comment right above it. A key the file lacks is appended.
 */
export function withValue(text: string, key: BootKey, value: string, note?: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const src = lines(text);
  if (src.length > 0 && src[src.length - 1] === '') src.pop();
  const out: string[] = [];
  let placed = false;
  for (const raw of src) {
    const line = raw.trimStart();
    const eq = line.indexOf('=');
    const isKey = !line.startsWith('#') && eq >= 0 && line.slice(0, eq).trim().toLowerCase() === key;
    if (!isKey) {
      out.push(raw);
      continue;
    }
    // The box's previous note about this key, right above it, is replaced.
    if (out.length > 0 && out[out.length - 1]!.startsWith(`${NOTE_PREFIX}${key} `)) out.pop();
    if (placed) continue;
    if (note) out.push(`${NOTE_PREFIX}${key} ${note}`);
    out.push(`${key}=${value}`);
    placed = true;
  }
  if (!placed) {
    if (note) out.push(`${NOTE_PREFIX}${key} ${note}`);
    out.push(`${key}=${value}`);
  }
  return out.join(eol) + eol;
}

/** A date the owner can read in the note, in UTC (the box may not know the owner's time zone). */
export function noteDate(d = new Date()): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
