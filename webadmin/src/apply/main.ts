// The root helper's work, behind the bash wrapper /usr/local/sbin/riffbox-apply, which systemd runs
// as riffbox-apply@VERB.service (the admin may start only the verbs polkit allows) or as
// riffbox-bootconfig.service. One verb per call, no other arguments; settings come from the databases.
import { contextFromEnv } from './context.js';
import { VERBS, type Verb } from './verbs.js';
import { bootConfig, claimReset } from './boot-config.js';
import { ddnsApply, ddnsStatus, ddnsUpdateNow } from './ddns.js';
import { networkApply, networkConfirm, networkPendingJson, networkRevert } from './network.js';
import { hostnameApply, logs, reboot } from './system.js';
import { usbMount, usbUnmount } from './usb.js';

export { VERBS, type Verb } from './verbs.js';

export async function runApply(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const verb = argv[0] as Verb;
  if (!(VERBS as readonly string[]).includes(verb)) {
    console.error(`riffbox-apply: unknown verb "${String(argv[0])}" (one of: ${VERBS.join(', ')})`);
    return 2;
  }
  // Only the delayed revert the helper itself schedules takes an argument: its own wait.
  if (verb === 'network-revert-due' && argv[1] === '--after') {
    const seconds = Number(argv[2]);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) return 2;
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } else if (argv.length !== 1) {
    console.error('riffbox-apply: takes exactly one verb');
    return 2;
  }
  const ctx = contextFromEnv(env);
  switch (verb) {
    case 'ddns-apply': return ddnsApply(ctx);
    case 'ddns-update-now': return ddnsUpdateNow(ctx);
    case 'ddns-status': return ddnsStatus(ctx);
    case 'network-apply': return networkApply(ctx);
    case 'network-confirm': return networkConfirm(ctx);
    case 'network-revert': return networkRevert(ctx, false);
    case 'network-revert-due': return networkRevert(ctx, true);
    case 'network-status': return networkPendingJson(ctx);
    case 'hostname-apply': return hostnameApply(ctx);
    case 'logs': return logs(ctx);
    case 'reboot': return reboot(ctx);
    case 'boot-config': return bootConfig(ctx);
    case 'claim-reset': return claimReset(ctx);
    case 'usb-mount': return usbMount(ctx);
    case 'usb-unmount': return usbUnmount(ctx);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  runApply(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`riffbox-apply: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
