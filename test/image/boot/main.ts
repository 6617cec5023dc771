// The boot test: boots an offline-built riffbox image in QEMU and walks the owner's journey on it,
// from the first boot to a jam and back: boot checks, the claim on a phone-sized Chromium, the
// Status page, a friend's real Jamulus client joining through the forwarded port, admin changes
// that take effect live, a reboot, a power cut, a factory reset and a restore. The box's client
// plays on a kernel sound card (snd-aloop, loaded from the kernel command line as a USB card would
// appear), so the guest can play into its input and record its output. Prints each step's time,
// every figure judged, and a JSON summary as its last line.
//   node dist/test/image/boot/main.js [IMAGE] [--timeout SECONDS] [--boot-only]
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessGroup } from '../../harness/processes.js';
import { bootChecks } from './boot-checks.js';
import { boxPorts } from './box-ports.js';
import { openPhone } from './phone.js';
import { Report } from './report.js';
import { Vm, copyDisk, extractBoot } from './vm.js';
import { stepClaim } from './journey-claim.js';
import { stepDdns, stepFader, stepFriendJoins, stepPortChange, stepPublicMode, stepRename, stepStatus } from './journey-live.js';
import { stepBackupResetRestore, stepPowerCut, stepReboot } from './journey-persist.js';
import type { Journey } from './journey-context.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const WORK = join(REPO, 'image', 'work');
const OWNER_PASSWORD = 'our rehearsal room';

async function main(argv: string[]): Promise<boolean> {
  const ti = argv.indexOf('--timeout');
  const timeoutS = ti >= 0 ? Number(argv[ti + 1]) : 5400;
  const bootOnly = argv.includes('--boot-only');
  const image = argv.find((a, i) => !a.startsWith('--') && (ti < 0 || i !== ti + 1)) ?? join(REPO, 'deploy', 'riffbox-offline.img');
  if (!existsSync(image)) throw new Error(`no image at ${image} (run sudo image/build-offline)`);
  mkdirSync(WORK, { recursive: true });
  const deadlineMs = Date.now() + timeoutS * 1000;
  const r = new Report();
  const g = new ProcessGroup('boot-test');
  let bootToReady: number | null = null;
  try {
    const disk = join(WORK, 'boot-disk.img');
    copyDisk(image, disk);
    const ports = await boxPorts();
    const { kernel, initrd } = extractBoot(disk, g.path('boot'));
    const vm = new Vm(g, {
      disk, kernel, initrd, forwards: ports.forwards, serialLog: join(WORK, 'boot-serial.log'),
      // The box's audio interface: the kernel's loopback card, as a USB card would appear at boot.
      append: ['modules-load=snd_aloop'],
    });
    r.log(`udp ${ports.udp}->${ports.guestUdp}, udp ${ports.udpMoved}->${ports.guestUdpMoved}, tcp ${ports.http}->${ports.guestHttp}; serial log image/work/boot-serial.log`);
    await r.run('boot', async () => {
      const shell = await vm.boot(deadlineMs);
      r.log(`root shell after ${shell.toFixed(1)} s`);
      bootToReady = await bootChecks(vm, r, ports, deadlineMs);
      r.figure('boot-to-ready seconds', bootToReady);
    });
    if (!bootOnly) {
      const phone = await openPhone(ports.http);
      g.onCleanup(() => phone.close());
      const j: Journey = { g, vm, r, ports, phone, password: '', friendPort: ports.udp, serverName: 'riffbox', deadlineMs };
      g.onCleanup(() => j.dyndns?.close());
      await r.run('claim', () => stepClaim(j, OWNER_PASSWORD));
      await r.run('status', () => stepStatus(j));
      await r.run('a friend joins', () => stepFriendJoins(j));
      await r.run('public mode with a directory', () => stepPublicMode(j));
      await r.run('rename', () => stepRename(j));
      await r.run("the box's fader for the friend", () => stepFader(j));
      await r.run('port change', () => stepPortChange(j));
      await r.run('dynamic DNS', () => stepDdns(j));
      await r.run('reboot', () => stepReboot(j));
      await r.run('power cut during a save', () => stepPowerCut(j));
      await r.run('backup, factory reset, restore', () => stepBackupResetRestore(j));
    }
    if (vm.running) await vm.poweroff();
  } finally {
    await g.stopAll();
  }
  for (const s of r.steps) console.log(`boot-test: ${s.ok ? 'ok  ' : 'FAIL'} ${s.name}: ${s.seconds} s`);
  console.log(JSON.stringify({ ok: r.ok, bootToReadySeconds: bootToReady, steps: r.steps, figures: r.figures, checks: r.checks }));
  return r.ok;
}

main(process.argv.slice(2)).then(
  (ok) => { process.exitCode = ok ? 0 : 1; },
  (e: Error) => {
    console.error(`boot-test: ${e.stack ?? e.message}`);
    console.log(JSON.stringify({ ok: false, error: e.message }));
    process.exitCode = 1;
  },
);
