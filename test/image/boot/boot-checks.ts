// The image as it comes up, before the owner does anything: system state, the units, the
// forwarded ports, the codec on the target, the first-boot enable state, avahi, the first user.
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type { Report } from './report.js';
import type { Vm } from './vm.js';
import type { BoxPorts } from './box-ports.js';
import { crc16 } from './crc16.js';
import { slow } from './phone.js';
import type { BoxStatus } from '../../../appliance/src/control/box-status.js';

const GUEST_LIB = fileURLToPath(new URL('../../../../image/lib/', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Units that may fail in QEMU because the hardware they serve is absent. Each needs a reason.
const HARDWARE_BOUND = new Map<string, string>([]);

function pingFrame(timeMs: number): Buffer {
  const f = Buffer.alloc(13);
  f.set([0x00, 0x00, 0xe9, 0x03, 0x00, 0x04, 0x00]);
  f.writeUInt32LE(timeMs >>> 0, 7);
  f.writeUInt16LE(crc16(f.subarray(0, 11)), 11);
  return f;
}

/** CLM_PING_MS to the forwarded UDP port; the valid answer, or null. */
export function udpPing(port: number, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const time = Date.now() % 0x100000000;
    const timer = setTimeout(() => { s.close(); resolve(null); }, timeoutMs);
    s.on('message', (msg) => {
      const ok = msg.length === 13 && msg.readUInt16LE(2) === 1001 && msg.readUInt32LE(7) === time && msg.readUInt16LE(11) === crc16(msg.subarray(0, 11));
      clearTimeout(timer);
      s.close();
      resolve(ok ? msg : null);
    });
    s.on('error', () => { clearTimeout(timer); s.close(); resolve(null); });
    s.send(pingFrame(time), port, '127.0.0.1');
  });
}

/** Copies one of image/lib's guest scripts into the VM, as /run/NAME. */
export function putGuestScript(vm: Vm, name: string): Promise<void> {
  return vm.shell.put(`${GUEST_LIB}${name}`, `/run/${name}`);
}

/** Copies one of image/lib's guest scripts into the VM and runs it with the target's node. */
export async function runGuestScript(vm: Vm, name: string, timeoutMs: number, args = ''): Promise<{ out: string; code: number }> {
  await putGuestScript(vm, name);
  return vm.shell.run(`node /run/${name} ${args}`, timeoutMs);
}

/** One systemctl answer per unit, as { unit: answer }. */
export async function perUnit(vm: Vm, units: readonly string[], systemctlArgs: string): Promise<Record<string, string>> {
  const out = (await vm.shell.run(`for u in ${units.join(' ')}; do echo "$u=$(systemctl ${systemctlArgs} $u 2>/dev/null)"; done`)).out;
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

/** `riffbox status --json` run on the box: what its admin sees, through the same code path. */
export async function boxStatus(vm: Vm): Promise<{ code: number; status: BoxStatus | null; raw: string }> {
  // A busy service under emulation answers in seconds, not the phone's 800 ms; the command lets a script wait.
  const r = await vm.shell.run(`riffbox status --json --wait ${slow(5000) / 1000} 2>&1`, 180000);
  try {
    return { code: r.code, status: JSON.parse(r.out) as BoxStatus, raw: r.out };
  } catch {
    return { code: r.code, status: null, raw: r.out };
  }
}

export const RIFFBOX_UNITS = ['riffbox-server', 'riffbox-client', 'riffbox-admin'] as const;

/**
 * Waits for the units and both forwarded ports; returns seconds from QEMU's start to ready, or
 * null when not ready by the deadline. `firstRun` is the page the admin must answer with.
 */
export async function waitReady(
  vm: Vm, r: Report, ports: BoxPorts, page: { path: string; pattern: RegExp; what: string }, deadlineMs: number,
  /** The server's port now, host side and guest side (the journey moves it). */
  udp: { host: number; guest: number } = { host: ports.udp, guest: ports.guestUdp },
): Promise<number | null> {
  let units = '';
  let ping: Buffer | null = null;
  let http = { status: 0, body: '' };
  while (Date.now() < deadlineMs) {
    units = (await vm.shell.run(`systemctl is-active ${RIFFBOX_UNITS.join(' ')} | tr "\\n" " "`)).out.trim();
    ping = await udpPing(udp.host, 2000);
    http = await fetch(`http://127.0.0.1:${ports.http}${page.path}`, { signal: AbortSignal.timeout(30000), headers: { host: 'riffbox.local' } })
      .then(async (res) => ({ status: res.status, body: await res.text() }), (e: Error) => ({ status: 0, body: e.message }));
    if (units === 'active active active' && ping && http.status === 200 && page.pattern.test(http.body)) break;
    await sleep(2000);
  }
  const ready = vm.seconds();
  const ok = [
    r.check('riffbox-server, riffbox-client, riffbox-admin active', units === 'active active active', units),
    r.check(`UDP ${udp.guest} answers CLM_PING_MS`, ping !== null, ping ? ping.toString('hex') : 'no valid answer'),
    r.check(`the admin answers with ${page.what}`, http.status === 200 && page.pattern.test(http.body),
      `status ${http.status}${page.pattern.test(http.body) ? '' : `; body: ${http.body.slice(0, 200).replace(/\s+/g, ' ')}`}`),
  ].every(Boolean);
  return ok ? Math.round(ready) : null;
}

export async function bootChecks(vm: Vm, r: Report, ports: BoxPorts, deadlineMs: number): Promise<number | null> {
  const state = await vm.settle(deadlineMs, (l) => r.log(l));
  r.log(`system ${state} after ${vm.seconds().toFixed(1)} s`);
  const failed = (await vm.shell.run('systemctl list-units --failed --plain --no-legend --no-pager | cut -d" " -f1')).out
    .split('\n').map((s) => s.trim()).filter(Boolean);
  const unexpected = failed.filter((u) => !HARDWARE_BOUND.has(u));
  r.check('system running (or degraded only by hardware-bound units)', state === 'running' || (state === 'degraded' && unexpected.length === 0),
    `${state}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);

  const ready = await waitReady(vm, r, ports, ports.firstPage, Math.min(deadlineMs, Date.now() + 240000));

  const dec = await runGuestScript(vm, 'guest-decode.cjs', 120000);
  for (const frames of ['128', '64']) {
    const m = dec.out.match(new RegExp(`DECODE frames=${frames} samples=(\\d+) rms=(\\d+) plc=(-?\\d+) us_per_frame=([\\d.]+) opus=(.*) simd=(.*)`));
    r.check(`the addon encodes, decodes and conceals a lost ${frames}-sample Opus custom frame on the target, with opus's NEON build`,
      !!m && m[1] === frames && Number(m[2]) > 1000 && m[3] === frames && /NEON/.test(m[6]!),
      m ? `samples ${m[1]}, rms ${m[2]}, concealed ${m[3]}, ${m[4]} µs per encode+decode under QEMU (proves it runs, not a speed), ${m[5]!.trim()}, ${m[6]!.trim()}` : `exit ${dec.code}: ${dec.out.slice(-300)}`);
  }

  // A unit that crashed and was restarted still reads "active"; its restart counter remembers.
  await sleep(15000);
  const restarts = Object.entries(await perUnit(vm, RIFFBOX_UNITS, 'show -p NRestarts --value'));
  r.check('no riffbox unit was restarted', restarts.length === 3 && restarts.every(([, n]) => n === '0'), restarts.map((e) => e.join('=')).join(', '));

  // Debian's default preset enables every unit; the image's own preset must keep its choices.
  // timesyncd staying enabled shows the first-boot pass only enabled things.
  const offUnits = ['ssh.service', 'ssh.socket', 'ddclient.service', 'systemd-networkd.service'];
  const en = await perUnit(vm, [...offUnits, 'systemd-timesyncd.service'], 'is-enabled');
  r.check('first boot enabled nothing the image did not', offUnits.every((u) => en[u] !== 'enabled') && en['systemd-timesyncd.service'] === 'enabled',
    Object.entries(en).map((e) => e.join('=')).join(', '));

  // pi-gen's first user exists with its password locked, and no interactive first-boot wizard waits.
  const user = await vm.shell.run('. /etc/os-release >/dev/null; u=$(getent passwd 1000 | cut -d: -f1); echo "$u $(passwd -S "$u" | cut -d" " -f2)"; systemctl list-unit-files --no-legend userconfig.service piwiz.service 2>/dev/null | wc -l');
  const [who, wizard] = user.out.trim().split('\n');
  r.check("pi-gen's first user exists, locked; no first-boot wizard unit", /^\S+ L$/.test(who ?? '') && wizard === '0', `${who}; wizard units: ${wizard}`);

  const avahi = await vm.shell.run('systemctl is-active avahi-daemon; journalctl -b -u avahi-daemon --no-pager -o cat | grep -c "riffbox-admin.service) successfully established"');
  const [avahiState, established] = avahi.out.trim().split('\n');
  r.check('avahi runs and publishes _http._tcp for the admin', avahiState === 'active' && Number(established) > 0, `${avahiState}, service established ${established ?? 0}x`);
  return ready;
}
