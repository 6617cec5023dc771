// Issue 14 acceptance: the Recordings page in real Chromium at a phone's size, against the real server (which
// records a real Jamulus 3.9.1 client playing a sine) — start, who is recorded, stop, download the zip, play the
// mixdown, record on a USB stick and eject it, delete. The stick is a loop device with an ext4 file system standing
// in for a real one (RIFFBOX_USB_DEVICE, checkout only); that part needs root and is skipped otherwise.
import { until as untilHolds } from '../harness/until.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd, playSine } from '../harness/jack.js';
import { startJamulusClient } from '../harness/jamulus.js';
import { loopFsAllowed } from '../harness/loop-fs.js';
import { startBox, CHROMIUM_ARGS, PHONE, SCREENSHOTS, type Box } from './rig.js';
import { readClaimCode } from './admin-instance.js';
import { readSession } from '../../appliance/src/recorder/session-list.js';

const PASSWORD = 'rehearsal-2024';
const g = new ProcessGroup('recordings-browser');
let box: Box;
let browser: Browser;
let page: Page;
let loopDevice = '';

function until<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 15000): Promise<T> {
  return untilHolds(what, fn, timeoutMs, 250, () => g.describe());
}

async function shot(name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function serverCall<T>(method: string): Promise<T> {
  const rpc = await box.serverRpc();
  try {
    return await rpc.call<T>(method);
  } finally {
    rpc.close();
  }
}

/** Records for a few seconds from the page: Start, Alice listed as recorded, Stop, the session listed. */
async function recordFromPage(seconds: number): Promise<string> {
  const before = await page.locator('.session').count();
  await page.click('#rec-start');
  await until('Alice on the list of who is recorded', async () => (await page.locator('#rec-who .name').allTextContents()).includes('Alice'));
  assert.equal(await page.textContent('#rec-state'), 'recording');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await page.click('#rec-stop');
  await until('the state to say not recording', async () => (await page.textContent('#rec-state')) === 'not recording');
  await until('the new session in the list', async () => (await page.locator('.session').count()) > before && (await page.locator('.session .button').count()) > 0);
  return (await page.locator('.session').first().getAttribute('data-session'))!;
}

before(async () => {
  let adminEnv: Record<string, string> = {};
  if (loopFsAllowed()) {
    const image = g.path('stick.img');
    execFileSync('truncate', ['-s', '2G', image]);
    // ext4: this machine's kernel has no FAT driver (the box's has; mountOptions is unit-tested for FAT).
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'BANDSTICK', image]);
    loopDevice = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
    g.onCleanup(() => {
      try {
        execFileSync('umount', ['-l', join(box.root, 'media/riffbox-usb')], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
      execFileSync('losetup', ['-d', loopDevice]);
    });
    adminEnv = { RIFFBOX_USB_DEVICE: loopDevice };
  }
  box = await startBox(g, { adminEnv });
  const jack = await startJackd(g, { frames: 128 });
  const alice = await startJamulusClient(g, { server: `127.0.0.1:${box.serverPort}`, jack, name: 'Alice' });
  await playSine(g, jack, [alice.inputs.left]);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  g.onCleanup(() => browser.close());
  const ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, locale: 'en-GB', acceptDownloads: true });
  page = await ctx.newPage();
  await page.goto(box.adminUrl + '/');
  await page.fill('#code', readClaimCode(box.root));
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await Promise.all([page.waitForURL(box.adminUrl + '/'), page.click('button[type=submit]')]);
});

after(() => g.stopAll());

test('start and stop from the phone: who is recorded, then the session in the list', { timeout: 60_000 }, async () => {
  await page.goto(box.adminUrl + '/recordings');
  assert.equal(await page.textContent('#rec-state'), 'not recording');
  const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const name = await recordFromPage(4);
  assert.match(name, /^Jam-\d{8}-\d{9}$/);
  const row = page.locator(`.session[data-session="${name}"]`);
  assert.match((await row.textContent()) ?? '', /Alice/);
  assert.ok(existsSync(join(g.dir, 'recordings', name, `${name}.rpp`)), 'the session is beside the settings database, finished');
  await shot('recordings');
});

test('download the session as one zip: every track and both project files, intact', { timeout: 60_000 }, async () => {
  const row = page.locator('.session').first();
  const name = (await row.getAttribute('data-session'))!;
  const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a.button').click()]);
  const path = g.path(`${name}.zip`);
  await download.saveAs(path);
  const test = await g.run('unzip-t', 'unzip', ['-t', path]);
  assert.match(test.stdout, /No errors detected/);
  const listing = (await g.run('unzip-l', 'unzip', ['-Z1', path])).stdout.trim().split('\n').sort();
  const expected = readdirSync(join(g.dir, 'recordings', name)).filter((f) => !f.startsWith('.')).map((f) => `${name}/${f}`).sort();
  assert.deepEqual(listing, expected);
  assert.ok(listing.some((f) => /\/Alice-127_0_0_1_\d+-\d+-1\.wav$/.test(f)), listing.join(' '));
});

test('play the stereo mixdown in the page', { timeout: 90_000 }, async () => {
  const row = page.locator('.session').first();
  await row.locator('.mixdown button').click();
  const audio = await until('the player', async () => {
    const a = row.locator('audio');
    return (await a.count()) === 1 ? a : null;
  }, 60_000);
  const played = await audio.evaluate(async (node) => {
    const el = node as unknown as { muted: boolean; currentTime: number; duration: number; error: { code: number } | null; play(): Promise<void>; pause(): void };
    el.muted = true;
    await el.play();
    await new Promise((r) => setTimeout(r, 1500));
    const r = { time: el.currentTime, duration: el.duration, error: el.error ? el.error.code : 0, channels: 0 };
    el.pause();
    return r;
  });
  assert.equal(played.error, 0);
  assert.ok(played.time > 0.5, `played ${played.time} s`);
  const name = (await row.getAttribute('data-session'))!;
  const session = readSession(join(g.dir, 'recordings', name), name);
  assert.ok(Math.abs(played.duration - session.seconds) < 0.05, `a mixdown of ${played.duration} s for a session of ${session.seconds} s`);
});

test('record on a USB stick that was plugged in, then eject it', { timeout: 90_000, skip: loopFsAllowed() ? false : 'needs root for the stand-in stick' }, async () => {
  await page.goto(box.adminUrl + '/recordings');
  await until('the stick on the page', async () => /BANDSTICK/.test((await page.textContent('#rec-usb')) ?? ''));
  await page.click('#rec-use-usb');
  await until('the stick in use', async () => /in use/.test((await page.textContent('#rec-usb')) ?? ''), 30_000);
  const status = await serverCall<{ recordingDirectory: string }>('jamulusserver/getRecorderStatus');
  assert.equal(status.recordingDirectory, join(box.root, 'media/riffbox-usb/riffbox-recordings'));
  const mounts = readdirSync('/proc/self').length > 0 ? execFileSync('findmnt', ['-n', '-o', 'SOURCE', join(box.root, 'media/riffbox-usb')], { encoding: 'utf8' }).trim() : '';
  assert.equal(mounts, loopDevice);
  await page.reload();
  const name = await recordFromPage(2);
  assert.equal(await page.locator(`.session[data-session="${name}"]`).getAttribute('data-storage'), 'usb');
  assert.ok(existsSync(join(box.root, 'media/riffbox-usb/riffbox-recordings', name, `${name}.lof`)));
  await page.click('#rec-eject');
  await until('the stick ejected', async () => /can be unplugged/.test((await page.textContent('#rec-storage')) ?? ''), 30_000).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${await page.textContent('#rec-storage')}`);
  });
  const after = await serverCall<{ recordingDirectory: string }>('jamulusserver/getRecorderStatus');
  assert.equal(after.recordingDirectory, join(g.dir, 'recordings'), 'recording went back to the SD card first');
  const r = await g.run('findmnt', 'findmnt', ['-n', join(box.root, 'media/riffbox-usb')], { allowFailure: true });
  assert.notEqual(r.code, 0, 'nothing mounted there any more');
});

test('delete a session', { timeout: 30_000 }, async () => {
  await page.goto(box.adminUrl + '/recordings');
  const row = page.locator('.session').first();
  const name = (await row.getAttribute('data-session'))!;
  const storage = (await row.getAttribute('data-storage'))!;
  page.once('dialog', (d) => void d.accept());
  await row.locator('form[action$="/delete"] button').click();
  await until('the session gone from the page', async () => (await page.locator(`.session[data-session="${name}"]`).count()) === 0);
  assert.equal(storage, 'sd');
  assert.ok(!existsSync(join(g.dir, 'recordings', name)), 'and from the card');
});
