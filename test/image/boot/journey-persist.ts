// What the box keeps: a reboot brings everything back with the settings and the password; a power
// cut in the middle of a settings save leaves consistent databases and a box that boots; a backup
// survives a factory reset (after which the box must be claimed again) and restores the settings.
import { readFileSync } from 'node:fs';
import { BOX_URL, slow, serviceLine, until } from './phone.js';
import { runGuestScript, waitReady } from './boot-checks.js';
import { claimCodeOnCard, loginFresh, stepClaim } from './journey-claim.js';
import type { Journey } from './journey-context.js';

/** Where the server listens now: the journey moved it from the default port. */
function serverPort(j: Journey): { host: number; guest: number } {
  return j.friendPort === j.ports.udpMoved ? { host: j.ports.udpMoved, guest: j.ports.guestUdpMoved } : { host: j.ports.udp, guest: j.ports.guestUdp };
}

const LOGIN_PAGE = { path: '/login', pattern: /<form[^>]*action="\/login"/, what: 'the login page (the box is claimed)' };

async function serverFormValues(j: Journey): Promise<{ name: string; port: string; mode: string }> {
  const page = j.phone.page;
  await page.goto(`${BOX_URL}/server`);
  return { name: await page.inputValue('#f-server-name'), port: await page.inputValue('#f-server-port'), mode: await page.inputValue('#f-server-mode') };
}

async function databasesConsistent(j: Journey): Promise<void> {
  const r = await runGuestScript(j.vm, 'guest-db.cjs', 180000);
  const dbs = r.out.split('\n').filter((l) => l.startsWith('DB '));
  j.r.check('every database reads integrity ok', dbs.length >= 2 && dbs.every((l) => / integrity=ok /.test(l)), dbs.join('; ') || r.out.slice(-300));
}

export async function stepReboot(j: Journey): Promise<void> {
  const { r, vm } = j;
  const expected = { name: j.serverName, port: String(j.ports.guestUdpMoved), mode: 'public' };
  const shell = await vm.reboot(j.deadlineMs);
  const ready = await waitReady(vm, r, j.ports, LOGIN_PAGE, Date.now() + slow(120000), serverPort(j));
  r.figure('reboot: root shell s / ready s', [Math.round(shell), ready]);
  r.check('the password still logs in after the reboot', await loginFresh(j));
  const onCard = (await vm.shell.run("sed -n 's/^claim_code=//p' /boot/firmware/riffbox.txt")).out.trim();
  r.check('the spent claim code is gone from the card after the boot', onCard === '' && !!j.spentCode, `${onCard || '(empty)'}; spent ${j.spentCode ?? '(none)'}`);
  const values = await serverFormValues(j);
  r.check('the settings are kept (name, port, mode)', JSON.stringify(values) === JSON.stringify(expected), JSON.stringify(values));
  const client = await until('the local client connected again', async () => {
    const t = await serviceLine(j.phone.page, 'client');
    return /\bconnected\b/.test(t) && !/not connected/.test(t) ? t : false;
  }, 120000).catch((e: Error) => e.message);
  r.check('the local client is back on the box\'s server by itself', !/timed out/.test(client), client);
  await j.friend!.reconnect(j.friendPort);
  const friendBack = await until('the friend listed again', async () => {
    const m = await j.friend!.musicians();
    return m.includes('riffbox') ? m : false;
  }, 60000).catch((e: Error) => [e.message]);
  r.check('the friend joins again on the kept port and lists the box', friendBack.includes('riffbox'), JSON.stringify(friendBack));
}

export async function stepPowerCut(j: Journey): Promise<void> {
  const { r, vm, phone } = j;
  const before = j.serverName;
  const after = 'After The Cut';
  await phone.page.goto(`${BOX_URL}/server`);
  await phone.page.fill('#f-server-name', after);
  // The power goes as the save reaches the box.
  const sent = phone.page.waitForRequest((q) => q.method() === 'POST' && q.url().endsWith('/server'), { timeout: slow(10000) });
  void phone.page.click('#server-form button[type=submit]').catch(() => undefined);
  await sent;
  await new Promise((res) => setTimeout(res, 150));
  await vm.cutPower();
  r.log('power cut (QEMU SIGKILL) 150 ms after the save was sent');
  const shell = await vm.boot(j.deadlineMs);
  const state = await vm.settle(Date.now() + slow(120000), (l) => r.log(l));
  r.check('the box boots after the power cut', state === 'running', state);
  const ready = await waitReady(vm, r, j.ports, LOGIN_PAGE, Date.now() + slow(120000), serverPort(j));
  r.figure('after the power cut: root shell s / ready s', [Math.round(shell), ready]);
  await databasesConsistent(j);
  r.check('the password still logs in after the power cut', await loginFresh(j));
  const name = (await serverFormValues(j)).name;
  r.check('the interrupted save is all or nothing (the old name or the new one)', name === before || name === after, name);
  j.serverName = name;
}

export async function stepBackupResetRestore(j: Journey): Promise<void> {
  const { r, phone } = j;
  const saved = await serverFormValues(j);
  await phone.page.goto(`${BOX_URL}/system`);
  const [download] = await Promise.all([phone.page.waitForEvent('download'), phone.page.click('a[href="/system/backup"]')]);
  const backupPath = j.g.path('settings-backup.json');
  await download.saveAs(backupPath);
  const backup = JSON.parse(readFileSync(backupPath, 'utf8')) as { settings?: Record<string, unknown> };
  r.check('the backup holds the settings', backup.settings?.['server.name'] === saved.name, `server.name=${String(backup.settings?.['server.name'])}`);

  const oldCode = await j.vm.shell.run("sed -n 's/^claim_code=//p' /boot/firmware/riffbox.txt");
  await phone.page.fill('#fp', j.password);
  await Promise.all([phone.page.waitForURL(/\/setup$/, { timeout: slow(30000) }), phone.page.click('form[action="/system/factory-reset"] button')]);
  r.check('a factory reset sends the phone to the claim page', /\/setup$/.test(phone.page.url()), phone.page.url());
  const newCode = await claimCodeOnCard(j);
  r.check('the reset put a fresh claim code on the card', newCode !== oldCode.out.trim(), `${oldCode.out.trim() || '(none)'} → ${newCode}`);
  // The claim is protected again: the same refusals as on a fresh box, then the owner's claim.
  await phone.fresh();
  await stepClaim(j, `${j.password} again`);
  const reset = await serverFormValues(j);
  r.check('the reset brought the defaults back', reset.name !== saved.name, JSON.stringify(reset));

  await phone.page.goto(`${BOX_URL}/system`);
  await phone.page.setInputFiles('#rf', backupPath);
  await Promise.all([phone.page.waitForURL(/\/system\?done=restore(_ddns_off)?$/, { timeout: slow(60000) }), phone.page.click('form[action^="/system/restore"] button')]);
  // The backup was saved without secrets and the reset forgot the DDNS password: the rest comes back,
  // DDNS off, and the page says how to turn it on again.
  const said = ((await phone.page.textContent('main')) ?? '').replace(/\s+/g, ' ');
  r.check('the restore says DDNS is off until its password is given again', /Dynamic DNS is off/.test(said) && phone.page.url().endsWith('restore_ddns_off'), said.slice(0, 200));
  const restored = await until('the restored settings on the Server page', async () => {
    const v = await serverFormValues(j);
    return JSON.stringify(v) === JSON.stringify(saved) ? v : false;
  }, 60000).catch(async () => serverFormValues(j));
  r.check('restoring the backup brings the settings back', JSON.stringify(restored) === JSON.stringify(saved), JSON.stringify(restored));
}
