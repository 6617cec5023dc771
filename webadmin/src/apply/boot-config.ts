// Verbs boot-config (riffbox-bootconfig.service, as root at every boot, before the services and
// the consoles' getty) and claim-reset (after a factory reset from the page). Proof of possession:
// whoever can edit riffbox.txt on the card, or see the box's HDMI screen, can claim the box or set
// its password; nobody else can. See webadmin/README.md, "Claiming the box".
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ApplyContext } from './context.js';
import { removeIfExists, writeAtomic } from './files.js';
import { asAdmin } from './as-admin.js';
import { BOOT_FILE_MAX_BYTES, bootTemplate, noteDate, parseBootFile, withValue } from './boot-file.js';
import { installShellKey, shellUser } from './shell-key.js';
import { run } from './run.js';
import { BOOT_FILE, CONSOLE_ISSUE } from '../box-paths.js';
import { hashPassword, passwordProblem, verifyPassword } from '../security/password.js';
import { newClaimCode, normalizeClaimCode } from '../security/claim-code.js';

/** Where a line for the person goes: the journal on the box, the terminal from a checkout. */
type Say = (line: string) => void;

interface BootText {
  text: string;
  /** What is on the card now ('' if nothing), to write only when something changed. */
  readonly before: string;
}

function readBootText(ctx: ApplyContext, say: Say): BootText {
  const path = ctx.path(BOOT_FILE);
  let before = '';
  try {
    if (statSync(path).size <= BOOT_FILE_MAX_BYTES) before = readFileSync(path, 'utf8');
    else say(`${BOOT_FILE} is larger than ${BOOT_FILE_MAX_BYTES} bytes; writing a fresh one`);
  } catch {
    // No file (deleted by the owner, or a first start from a checkout): the template again.
  }
  return { text: before !== '' ? before : bootTemplate(shellUser(ctx) ?? 'pi'), before };
}

function saveBootText(ctx: ApplyContext, b: BootText): void {
  if (b.text === b.before) return;
  // FAT has no modes (the mount's fmask=0077 keeps it root's); from a checkout the file holds a
  // code, so only its owner reads it.
  writeAtomic(ctx.path(BOOT_FILE), b.text, ctx.system ? null : 0o600);
}

/** The HDMI (and serial) console shows this above the login prompt; getty runs as root, so 0600. */
async function showOnConsole(ctx: ApplyContext, code: string | null): Promise<void> {
  const path = ctx.path(CONSOLE_ISSUE);
  if (code === null) removeIfExists(path);
  else {
    // agetty expands \n to the host name and \4 to the IPv4 address.
    const text = ['', '  riffbox is not claimed yet. Open http://\\n.local/ (or http://\\4/) on a phone', `  and type this claim code:   ${code}`, '', ''].join('\n');
    writeAtomic(path, text, 0o600);
  }
  // Consoles already showing a prompt redraw it (at boot none is up yet; harmless).
  if (ctx.system) await run('agetty', ['--reload']);
}

async function issueCode(ctx: ApplyContext, b: BootText, why: string): Promise<string | null> {
  const code = newClaimCode();
  const answer = await asAdmin(ctx, { op: 'issue-claim', hash: await hashPassword(code) });
  if (!answer.issued) return null;
  b.text = withValue(b.text, 'claim_code', code, `issued ${noteDate()} ${why}: type it on the first visit to the admin page`);
  return code;
}

function tellTerminal(ctx: ApplyContext, code: string, say: Say): void {
  // From a checkout the person at this terminal holds the "card" (the folder): show it here too.
  // On the box stdout goes to the journal, where a code has no business.
  if (!ctx.system) say(`riffbox claim code: ${code}   (also in ${ctx.path(BOOT_FILE)})`);
}

export async function bootConfig(ctx: ApplyContext, say: Say = console.log): Promise<number> {
  const b = readBootText(ctx, say);
  const values = parseBootFile(b.text);
  let state = await asAdmin(ctx, { op: 'state' });
  let status = 0;

  if (values.admin_password !== '') {
    const problem = passwordProblem(values.admin_password, values.admin_password);
    if (problem) {
      b.text = withValue(b.text, 'admin_password', '', `was NOT taken on ${noteDate()}: it must have 8 to 256 characters`);
      // The owner's input, not a failure of the box: the note on the card says what to fix.
      say('admin_password in riffbox.txt refused: it must have 8 to 256 characters');
    } else {
      state = await asAdmin(ctx, { op: 'set-password', hash: await hashPassword(values.admin_password) });
      b.text = withValue(b.text, 'admin_password', '', `was taken on ${noteDate()} and removed from this file; every browser was logged out`);
      say('admin password taken from riffbox.txt; every session ended');
    }
  }

  if (values.ssh_authorized_key !== '') {
    const r = await installShellKey(ctx, values.ssh_authorized_key);
    b.text = withValue(b.text, 'ssh_authorized_key', r.ok ? '' : values.ssh_authorized_key, r.note);
    say(`ssh_authorized_key: ${r.note}`);
  }

  if (state.claimed) {
    if (values.claim_code !== '') b.text = withValue(b.text, 'claim_code', '', 'is spent: the box is claimed');
    await showOnConsole(ctx, null);
  } else {
    // The code stays the same from boot to boot until it is used, so one read off the card stays good.
    const typed = normalizeClaimCode(values.claim_code);
    let code = typed !== null && state.claimCodeHash !== '' && (await verifyPassword(typed, state.claimCodeHash)) ? typed : null;
    code ??= await issueCode(ctx, b, 'at start-up');
    if (code === null) {
      say('FAILED: the admin store refused a claim code');
      status = 1;
    } else {
      await showOnConsole(ctx, code);
      tellTerminal(ctx, code, say);
      say(ctx.system ? 'box unclaimed: claim code on the card and the console' : 'box unclaimed');
    }
  }
  saveBootText(ctx, b);
  return status;
}

/** After a factory reset (the admin has already made its store unclaimed): a fresh code, at once. */
export async function claimReset(ctx: ApplyContext, say: Say = console.log): Promise<number> {
  const state = await asAdmin(ctx, { op: 'state' });
  if (state.claimed) {
    say('FAILED: the box is claimed; a claim code is issued only after a factory reset');
    return 1;
  }
  const b = readBootText(ctx, say);
  const code = await issueCode(ctx, b, 'after a factory reset');
  if (code === null) {
    say('FAILED: the admin store refused a claim code');
    return 1;
  }
  saveBootText(ctx, b);
  await showOnConsole(ctx, code);
  tellTerminal(ctx, code, say);
  say(`a new claim code is in riffbox.txt on the card${existsSync(ctx.path('/etc/issue.d')) ? ' and on the HDMI console' : ''}`);
  return 0;
}
