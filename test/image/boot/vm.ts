// The booted image under qemu-system-aarch64 ("virt", 4 × cortex-a72, the image's own kernel and initrd),
// on a writable copy of the built image so that reboots and power cuts keep what the box wrote, with
// loopback forwards from the host to the box's ports, and a root shell on the serial console. QEMU
// runs in a harness ProcessGroup, so it is killed by PID whatever happens to the test.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessGroup, type ManagedProcess } from '../../harness/processes.js';
import { GuestShell } from './guest-shell.js';

export interface Forward {
  readonly proto: 'udp' | 'tcp';
  readonly host: number;
  readonly guest: number;
}

export interface VmOptions {
  /** The disk the guest boots and writes (a copy of the built image). */
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly forwards: readonly Forward[];
  /** Appended to the kernel command line (after the test's console and debug shell). */
  readonly append?: readonly string[];
  readonly serialLog: string;
}

/** The address at which the guest reaches the host's loopback (QEMU user networking). */
export const HOST_FROM_GUEST = '10.0.2.2';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Copies the built image to `dest` (sparse), the disk the journey boots and writes. */
export function copyDisk(image: string, dest: string): void {
  execFileSync('cp', ['--sparse=always', '--', image, dest]);
}

/** The kernel and initrd the image boots with, copied off its FAT partition without mounting it. */
export function extractBoot(img: string, dir: string): { kernel: string; initrd: string } {
  const table = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })) as { partitiontable: { partitions: { start: number }[] } };
  const spec = `${img}@@${table.partitiontable.partitions[0]!.start * 512}`;
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
  const names = execFileSync('mdir', ['-b', '-i', spec, '::/'], { encoding: 'utf8', env })
    .split('\n').map((l) => l.trim().replace(/^::\//, '')).filter(Boolean);
  const kernel = names.filter((n) => /^vmlinuz/.test(n)).sort().pop();
  const initrd = names.filter((n) => /^initrd\.img/.test(n)).sort().pop();
  if (!kernel || !initrd) throw new Error(`no vmlinuz*/initrd.img* on bootfs (found: ${names.join(' ')})`);
  mkdirSync(dir, { recursive: true });
  for (const n of [kernel, initrd]) execFileSync('mcopy', ['-n', '-o', '-i', spec, `::/${n}`, join(dir, n)], { env });
  return { kernel: join(dir, kernel), initrd: join(dir, initrd) };
}

export class Vm {
  shell: GuestShell;
  private qemu: ManagedProcess | null = null;
  private boots = 0;
  /** When the current boot's QEMU started (ms since epoch). */
  startedAt = 0;

  constructor(private readonly g: ProcessGroup, private readonly o: VmOptions) {
    this.shell = new GuestShell(this.socketPath());
  }

  private socketPath(): string {
    return this.g.path(`serial-${this.boots}.sock`);
  }

  get running(): boolean {
    return this.qemu?.running ?? false;
  }

  /** Starts QEMU and waits for the root shell; returns the seconds that took. */
  async boot(deadlineMs: number): Promise<number> {
    if (this.running) throw new Error('the VM is already running');
    this.boots++;
    const sock = this.socketPath();
    const append = [
      'root=LABEL=rootfs', 'rw', 'rootwait', 'console=ttyAMA0', 'net.ifnames=0', 'quiet', 'loglevel=3', 'systemd.show_status=0',
      // Test-only root shell on the serial console, present from early boot; the image never enables it.
      'systemd.debug_shell=ttyAMA0', 'systemd.mask=serial-getty@ttyAMA0.service',
      ...(this.o.append ?? []),
    ].join(' ');
    const net = this.o.forwards.map((f) => `hostfwd=${f.proto}:127.0.0.1:${f.host}-:${f.guest}`).join(',');
    const args = [
      // A Pi 4's four cores: the server's tick and the client's audio thread run SCHED_FIFO and, at
      // emulated speed, keep two vCPUs busy; with two vCPUs everything else (the admin's helpers, the
      // Status page) starved for minutes.
      '-M', 'virt', '-cpu', 'cortex-a72', '-smp', '4', '-m', '2048',
      '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-chardev', `socket,id=ser0,path=${sock},server=on,wait=off,logfile=${this.o.serialLog},logappend=on`,
      '-serial', 'chardev:ser0',
      '-kernel', this.o.kernel, '-initrd', this.o.initrd, '-append', append,
      '-drive', `file=${this.o.disk},format=raw,if=none,id=hd0,cache=writeback`, '-device', 'virtio-blk-device,drive=hd0',
      '-netdev', `user,id=n0,${net}`, '-device', 'virtio-net-device,netdev=n0',
    ];
    this.startedAt = Date.now();
    this.qemu = this.g.spawn(`qemu-${this.boots}`, 'qemu-system-aarch64', args, { stopTimeoutMs: 20000 });
    this.shell = new GuestShell(sock);
    await this.shell.connect(Math.min(deadlineMs, Date.now() + 30000));
    await this.shell.waitReady(deadlineMs);
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Polls `systemctl is-system-running` until boot settles; logs queued jobs while it waits. */
  async settle(deadlineMs: number, log: (line: string) => void): Promise<string> {
    let state = '';
    let lastJobs = '';
    for (;;) {
      state = (await this.shell.run('systemctl is-system-running')).out.trim().split('\n').pop() ?? '';
      if (!['initializing', 'starting'].includes(state) || Date.now() > deadlineMs) return state;
      const jobs = (await this.shell.run('systemctl list-jobs --no-legend --no-pager --plain | head -n 12')).out.trim();
      if (jobs !== lastJobs) {
        log(`${this.seconds().toFixed(0)} s, ${state}; jobs:\n${jobs.replace(/^/gm, '    ')}`);
        lastJobs = jobs;
      }
      await sleep(10000);
    }
  }

  seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Shuts the guest down from inside and waits for QEMU to exit. */
  async poweroff(timeoutMs = 90000): Promise<void> {
    this.shell.write('systemctl poweroff\n');
    await this.waitExit(timeoutMs);
  }

  /** Reboots the guest (QEMU exits on the guest's reboot with -no-reboot and starts again). */
  async reboot(deadlineMs: number): Promise<number> {
    this.shell.write('systemctl reboot\n');
    await this.waitExit(90000);
    return this.boot(deadlineMs);
  }

  /** Power cut: QEMU killed with SIGKILL, whatever the guest was writing. */
  async cutPower(): Promise<void> {
    if (this.qemu?.running) process.kill(this.qemu.pid, 'SIGKILL');
    await this.qemu?.exited;
    this.shell.close();
  }

  private async waitExit(timeoutMs: number): Promise<void> {
    const q = this.qemu;
    if (!q) return;
    const done = await Promise.race([q.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) {
      process.kill(q.pid, 'SIGKILL');
      await q.exited;
    }
    this.shell.close();
  }
}
