// The root helper's verbs, declared once. The bash wrapper (overlays/rootfs/usr/local/sbin/
// riffbox-apply) and the polkit rule (overlays/rootfs/etc/polkit-1/rules.d/50-riffbox.rules) spell
// the same lists; test/unit/admin-privilege.test.ts checks that they agree.

/** What the admin may ask for: on the box, polkit lets it start exactly `riffbox-apply@VERB.service` for these. */
export const ADMIN_VERBS = [
  'ddns-apply', 'ddns-update-now', 'ddns-status',
  'network-apply', 'network-confirm', 'network-revert', 'network-status',
  'hostname-apply', 'logs', 'reboot',
  'claim-reset',
  'usb-mount', 'usb-unmount',
] as const;

/** What only systemd runs: riffbox-bootconfig.service at every boot, and the revert timer the helper sets itself. */
export const SYSTEM_VERBS = ['boot-config', 'network-revert-due'] as const;

export const VERBS = [...ADMIN_VERBS, ...SYSTEM_VERBS] as const;

export type AdminVerb = (typeof ADMIN_VERBS)[number];
export type Verb = (typeof VERBS)[number];
