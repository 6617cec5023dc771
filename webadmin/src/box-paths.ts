// Paths and names the admin, its root helper, the units and the tests share. Absolute paths are
// the box's; from a checkout the helper and the admin put them under the checkout root instead
// (`root/` beside the database, or RIFFBOX_ROOT), so a developer's machine is never touched.
import { join } from 'node:path';

/** The admin's own state (its unit's StateDirectory=, 0700): the only place its secrets live. */
export const ADMIN_STATE_DIR = '/var/lib/riffbox-admin';
export const ADMIN_DB = `${ADMIN_STATE_DIR}/admin.db`;
/** The admin unit's user; the server and client stay user `riffbox`. */
export const ADMIN_USER = 'riffbox-admin';
/** The owner's file on the card's FAT boot partition, which every computer can open. */
export const BOOT_FILE = '/boot/firmware/riffbox.txt';
/** Shown by getty above the login prompt on the HDMI screen (and the serial console). */
export const CONSOLE_ISSUE = '/etc/issue.d/riffbox.issue';
/** Where each `riffbox-apply@VERB.service` run leaves its output for the admin to read. */
export const HELPER_OUTPUT_DIR = '/run/riffbox-apply';
/** The user pi-gen made (FIRST_USER_NAME), recorded by the image build; `ssh_authorized_key=` is for this user. */
export const SHELL_USER_FILE = '/etc/riffbox/shell-user';

/** A box path as seen from `root` (`/` on the box, the checkout root otherwise). */
export function underRoot(root: string, boxPath: string): string {
  return root === '/' ? boxPath : join(root, boxPath);
}
