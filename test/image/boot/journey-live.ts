// The owner's evening with the box, after the claim: the Status page, a friend joining through the
// forwarded port, and admin changes that must take effect while everyone plays — public mode with a
// directory, a new server name, the box's fader for the friend, a new port, dynamic DNS.
import { BOX_URL, slow, serviceLine, until } from './phone.js';
import { boxStatus, udpPing } from './boot-checks.js';
import { playIntoBox, recordBox } from './guest-audio.js';
import { FRIEND_HZ, directoryNames, startDirectory, startDyndns, startFriend } from './host-peers.js';
import { HOST_FROM_GUEST } from './vm.js';
import { BOX_HZ, type Journey } from './journey-context.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The box's musician name and device, as a fresh box has them (client.name; device "auto" → the loopback card). */
const BOX_MUSICIAN = 'riffbox';
const BOX_DEVICE = 'hw:CARD=Loopback,DEV=0';
/** A tone this loud in a recording counts as heard (the sines are played at about −11 to −17 dBFS). */
const HEARD_DB = -45;

export async function stepStatus(j: Journey): Promise<void> {
  const { r, phone, ports } = j;
  const server = await until('the server listed as running', async () => {
    const t = await serviceLine(phone.page, 'server');
    return /running/.test(t) && !/not running|cannot be reached/.test(t) ? t : false;
  }, 60000);
  r.check('the Status page shows the server running on its port', new RegExp(`UDP port ${ports.guestUdp}\\b`).test(server), server);
  const client = await until('the local client connected', async () => {
    const t = await serviceLine(phone.page, 'client');
    return /\bconnected\b/.test(t) && !/not connected/.test(t) && t.includes(BOX_DEVICE) ? t : false;
  }, 90000).catch((e: Error) => e.message);
  r.check('the Status page shows the local client connected, with its device', client.includes(BOX_DEVICE) && !/timed out/.test(client), client);
  const st = await boxStatus(j.vm);
  r.check('riffbox status on the box says the same and exits 0',
    st.code === 0 && st.status?.healthy === true && st.status.client.up && st.status.client.device.name === BOX_DEVICE, st.raw.replace(/\s+/g, ' ').slice(0, 400));
}

export async function stepFriendJoins(j: Journey): Promise<void> {
  const { r, vm, g } = j;
  await playIntoBox(vm, BOX_HZ, 3600);
  j.friend = await startFriend(g, j.friendPort);
  const friend = j.friend;
  const names = await until('the friend lists the box', async () => {
    const m = await friend.musicians();
    return m.includes(BOX_MUSICIAN) ? m : false;
  }, 30000).catch((e: Error) => [e.message]);
  r.check("the friend's client lists the box's musician", names.includes(BOX_MUSICIAN), JSON.stringify(names));
  // Jamulus fades a new channel in over about 3 s.
  await sleep(4000);
  const heard = await friend.hear(8, BOX_HZ, 'friend-hears-box');
  r.figure('friend hears box: tone level dBFS / ratio dB', heard);
  r.check("the friend hears the sine played into the box's input", heard.levelDb > HEARD_DB, `${BOX_HZ} Hz at ${heard.levelDb} dBFS`);
  const box = await recordBox(vm, 8, [FRIEND_HZ, BOX_HZ]);
  r.figure("box playback: tones dBFS, quiet 10-ms windows", { tones: box.tones, quietWindows: `${box.quietWindows}/${box.windows}`, playedToneWindows: box.playedToneWindows });
  const f = box.tones[FRIEND_HZ]!;
  if (!r.check("the box's playback carries the friend's sine", f.levelDb > HEARD_DB, `${FRIEND_HZ} Hz at ${f.levelDb} dBFS`)) r.figure("the box's client log when its playback lacked the friend", await clientLog(j));
}

async function saveServerForm(j: Journey, fill: () => Promise<void>): Promise<void> {
  const page = j.phone.page;
  await page.goto(`${BOX_URL}/server`);
  await fill();
  await page.click('#server-form button[type=submit]');
  await page.waitForSelector('#server-form .notice[data-target="server"]', { timeout: slow(30000) });
  const notice = (await page.textContent('#server-form .notice[data-target="server"]')) ?? '';
  if (!/done/.test(notice)) throw new Error(`the server did not apply the change: ${notice.replace(/\s+/g, ' ')}`);
}

export async function stepPublicMode(j: Journey): Promise<void> {
  const { r, g, phone } = j;
  j.directory = await startDirectory(g);
  const dir = j.directory;
  await saveServerForm(j, async () => {
    await phone.page.selectOption('#f-server-mode', 'public');
    await phone.page.selectOption('#f-server-directory', 'custom');
    await phone.page.fill('input[name=directoryCustom]', `${HOST_FROM_GUEST}:${dir.port}`);
  });
  const reg = await until('"registered" on the Status page', async () => {
    await phone.page.goto(`${BOX_URL}/`);
    const t = ((await phone.page.textContent('main')) ?? '').replace(/\s+/g, ' ');
    return /Directory registration: registered/.test(t) ? 'registered' : false;
  }, 60000).catch((e: Error) => e.message);
  r.check('the Status page shows the directory registration as registered', reg === 'registered', reg);
  const listed = await until('the box in the directory', async () => {
    const names = await directoryNames(dir.port);
    return names?.includes(j.serverName) ? names : false;
  }, 60000).catch((e: Error) => [e.message]);
  r.check('the directory lists the box', listed.includes(j.serverName), JSON.stringify(listed));
}

export async function stepRename(j: Journey): Promise<void> {
  const { r, phone } = j;
  const name = 'Garage Band';
  await saveServerForm(j, () => phone.page.fill('#f-server-name', name));
  j.serverName = name;
  // What a friend's Jamulus client shows in its connect dialog: the directory's list.
  const listed = await until('the new name in the directory', async () => {
    const names = await directoryNames(j.directory!.port);
    return names?.includes(name) ? names : false;
  }, 60000).catch((e: Error) => [e.message]);
  r.check("the friend's client sees the new server name (the directory list its connect dialog shows)", listed.includes(name), JSON.stringify(listed));
}

/** The client's last log lines (its status line every minute: overall delay, xruns, the output fill kept). */
async function clientLog(j: Journey): Promise<string[]> {
  const out = await j.vm.shell.run('journalctl -b --no-pager -o short-monotonic -u riffbox-client | tail -n 15', 60000).catch((e: Error) => ({ code: -1, out: e.message }));
  return out.out.split('\n').filter((l) => l.trim() !== '');
}

export async function stepFader(j: Journey): Promise<void> {
  const { r, phone, vm } = j;
  const fader = phone.page.locator(`.strip[data-name="${j.friend!.client.name}"] input[data-control="fader"]`);
  // The page lists the musicians the client knew when it was rendered: reload until the friend is there.
  await until('the friend on the mix page', async () => {
    await phone.page.goto(`${BOX_URL}/client`);
    return (await fader.count()) === 1;
  }, 60000, 2000);
  const level = async (): Promise<number> => (await recordBox(vm, 5, [FRIEND_HZ])).tones[FRIEND_HZ]!.levelDb;
  // Under emulation one 5-s recording of the box's playback reads several dB low now and then (its output
  // xruns), so each position is judged by its loudest recording: the friend counts as heard at the level the
  // box reaches, and as dropped only if no recording at fader 0 comes within 20 dB of that.
  const recordings = async (n: number): Promise<number[]> => {
    const ls: number[] = [];
    for (let i = 0; i < n; i++) ls.push(await level());
    return ls;
  };
  // Heard a minute ago; the admin's saves since then (public mode, the name) reload the box's client.
  // Wait until the friend is in its playback again before moving the fader, and say how long that took.
  const t0 = Date.now();
  const tones: number[] = [];
  await until('the friend in the box playback', async () => {
    const l = await level();
    tones.push(l);
    return l > HEARD_DB ? l : false;
  }, slow(30000), 1000).catch(() => undefined);
  tones.push(...(await recordings(1)));
  const before = Math.max(...tones);
  r.figure("before the fader: friend's tone in the box's playback (dBFS per recording), seconds", { tones, seconds: Math.round((Date.now() - t0) / 1000) });
  await fader.fill('0');
  await sleep(1500);
  const downs = await recordings(2);
  const down = Math.max(...downs);
  await fader.fill('100');
  await sleep(1500);
  const backs: number[] = [];
  const back = await until('the friend back in the box playback', async () => {
    const l = await level();
    backs.push(l);
    return l > HEARD_DB && Math.abs(l - before) <= 6 ? l : false;
  }, slow(30000), 1000).catch(() => Math.max(...backs, -200));
  r.figure(`friend's ${FRIEND_HZ} Hz in the box's playback: fader 100 / 0 / 100 (dBFS per recording)`, { before: tones, down: downs, back: backs });
  const dropped = r.check("moving the box's fader for the friend to 0 drops the friend in the box's playback", before - down >= 20, `${before} → ${down} dBFS`);
  const returned = r.check('moving it back to 100 brings the friend back', back > HEARD_DB && Math.abs(back - before) <= 6, `${down} → ${back} dBFS (was ${before})`);
  if (!dropped || !returned) r.figure("the box's client log after the fader step", await clientLog(j));
}

export async function stepPortChange(j: Journey): Promise<void> {
  const { r, phone, ports } = j;
  await saveServerForm(j, () => phone.page.fill('#f-server-port', String(ports.guestUdpMoved)));
  const server = await until('the new port on the Status page', async () => {
    const t = await serviceLine(phone.page, 'server');
    return t.includes(`UDP port ${ports.guestUdpMoved}`) ? t : false;
  }, 30000).catch((e: Error) => e.message);
  r.check('the Status page shows the server on the new port', server.includes(`UDP port ${ports.guestUdpMoved}`), server);
  r.check('the old port no longer answers', (await udpPing(ports.udp, 2000)) === null);
  j.friendPort = ports.udpMoved;
  await j.friend!.reconnect(ports.udpMoved);
  const names = await until('the friend lists the box again', async () => {
    const m = await j.friend!.musicians();
    return m.includes(BOX_MUSICIAN) ? m : false;
  }, 60000).catch((e: Error) => [e.message]);
  r.check('the friend reconnects on the new port and lists the box (whose client followed the port)', names.includes(BOX_MUSICIAN), JSON.stringify(names));
}

export async function stepDdns(j: Journey): Promise<void> {
  const { r, phone } = j;
  const user = 'owner';
  const secret = "dd-secret,#1";
  j.dyndns = await startDyndns(user, secret, '198.51.100.23');
  const dd = j.dyndns;
  const page = phone.page;
  await page.goto(`${BOX_URL}/ddns`);
  await page.check('#f-ddns-enabled');
  await page.selectOption('#f-ddns-provider', 'dyndns2');
  await page.fill('#f-ddns-host', 'jam.example.org');
  await page.fill('#f-ddns-server', `${HOST_FROM_GUEST}:${dd.port}`);
  await page.fill('#f-ddns-username', user);
  await page.fill('#f-ddns-password', secret);
  await page.click('#ddns-form details summary');
  await page.fill('#f-ddns-checkip', `http://${HOST_FROM_GUEST}:${dd.port}/ip`);
  await page.click('#ddns-update');
  await page.waitForSelector('#ddns-form .notice[data-target="ddns-update"]', { timeout: slow(90000) });
  const shown = ((await page.textContent('#ddns-form .notice[data-target="ddns-update"]')) ?? '').replace(/\s+/g, ' ');
  const u = dd.updates.at(-1);
  r.figure('dyndns2 updates received', dd.updates.map((x) => ({ hostname: x.hostname, myip: x.myip })));
  r.check('the provider received the update for the name and the address', u?.hostname === 'jam.example.org' && u?.myip === dd.publicIp, JSON.stringify(u ?? null));
  const ok = r.check('the page shows the update result', /SUCCESS|good/.test(shown) && shown.includes(dd.publicIp), shown.slice(0, 300));
  if (!ok || !u) {
    // What the box's root helper saw: the verbs' output files and their journal.
    const seen = await j.vm.shell.run('tail -n 30 /run/riffbox-apply/ddns-*.out; journalctl -b --no-pager -o short-monotonic -u "riffbox-apply@ddns*" -u ddclient | tail -n 30');
    r.log(`the box's DDNS helpers:\n${seen.out.replace(/^/gm, '    ')}`);
  }
}
