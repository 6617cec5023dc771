// The admin in real Chromium at a phone's size (390×844), against the real riffbox server and
// client and a real Jamulus 3.9.1 client whose name is HTML. One browser for the whole file, to
// keep the suite's time modest; the steps build on each other like a first evening with the box.
import { until as untilHolds } from '../harness/until.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd } from '../harness/jack.js';
import { startJamulusClient } from '../harness/jamulus.js';
import { startBox, CHROMIUM_ARGS, PHONE, SCREENSHOTS, type Box } from './rig.js';
import { readClaimCode } from './admin-instance.js';
import { openAdminStores } from '../../webadmin/src/security/open-stores.js';
import { createApp } from '../../webadmin/src/app.js';
import { listen, closeServer } from '../../webadmin/src/server.js';
import { hashPassword } from '../../webadmin/src/security/password.js';
import { newClaimCode } from '../../webadmin/src/security/claim-code.js';

const HTML_NAME = '<b>x</b><i>y</i>';
const PASSWORD = 'rehearsal-2024';
const DDNS_TOKEN = 'f3b1c2d4-secret-duck-token';
/** A name the browser resolves to the box, as a DNS-rebinding attacker's would. */
const REBIND_NAME = 'rebind.example';

const g = new ProcessGroup('admin-browser');
let box: Box;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
/** Every response body the browser received, to prove a secret never comes back. */
const bodies: string[] = [];

async function shot(name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

function until<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 15000): Promise<T> {
  return untilHolds(what, fn, timeoutMs, 250, () => g.describe());
}

before(async () => {
  box = await startBox(g);
  const jack = await startJackd(g, { frames: 128 });
  await startJamulusClient(g, { server: `127.0.0.1:${box.serverPort}`, jack, name: HTML_NAME, jsonrpc: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${REBIND_NAME} 127.0.0.1`] });
  g.onCleanup(() => browser.close());
  ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, locale: 'en-GB' });
  page = await ctx.newPage();
  page.on('response', (r) => {
    r.text().then((t) => bodies.push(t), () => undefined);
  });
});

after(() => g.stopAll());

test('first run: the claim asks for the code from the card, then sets the password; login works', async () => {
  await page.goto(box.adminUrl + '/');
  assert.match(page.url(), /\/setup$/);
  assert.match((await page.textContent('#claim-where')) ?? '', /riffbox\.txt/, 'the page says where the code is');
  await page.fill('#code', 'AAAA-BBBB-CCCC');
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await page.click('button[type=submit]');
  assert.match((await page.textContent('.field.invalid .error')) ?? '', /not this box's claim code/);
  await page.fill('#code', readClaimCode(box.root));
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await Promise.all([page.waitForURL(box.adminUrl + '/'), page.click('button[type=submit]')]);
  await page.click('footer button');
  await page.waitForURL(/\/login$/);
  await shot('login');
  await page.fill('#password', 'not the password');
  await page.click('main button[type=submit]');
  await page.waitForSelector('.error');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(box.adminUrl + '/'), page.click('main button[type=submit]')]);
  assert.equal(await page.textContent('h1'), 'Status');
});

test('the first-run page as the box shows it: the card and the HDMI screen (screenshot)', async () => {
  // The same app in the box's mode (it only renders here; no helper runs), with a code issued.
  const dir = g.path('as-on-the-box');
  mkdirSync(dir, { recursive: true });
  const stores = openAdminStores(join(dir, 'settings.db'), join(dir, 'admin.db'));
  stores.admin.issueClaimCode(await hashPassword(newClaimCode()));
  const app = createApp({ store: stores.settings, admin: stores.admin, helper: { kind: 'system' }, secretFile: undefined });
  const server = await listen(app.app, 0, '127.0.0.1');
  g.onCleanup(async () => {
    await closeServer(server);
    app.close();
    stores.close();
  });
  const addr = server.address();
  const p = await ctx.newPage();
  try {
    await p.goto(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/setup`);
    const where = (await p.textContent('#claim-where')) ?? '';
    assert.match(where, /"bootfs"/);
    assert.match(where, /riffbox\.txt/);
    assert.match(where, /HDMI/);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await p.screenshot({ path: join(SCREENSHOTS, 'setup.png'), fullPage: true });
  } finally {
    await p.close();
  }
});

test('the page under another name (a DNS-rebinding site) gets nothing', async () => {
  const p = await ctx.newPage();
  try {
    const r = await p.goto(box.adminUrl.replace('127.0.0.1', REBIND_NAME) + '/setup');
    assert.equal(r?.status(), 421);
    assert.match((await p.textContent('body')) ?? '', /answers only under the box's own name or address/);
  } finally {
    await p.close();
  }
});

test('an unauthenticated visitor is sent to login, and a POST without CSRF token is refused', async () => {
  const stranger = await browser.newContext({ viewport: PHONE });
  try {
    const p = await stranger.newPage();
    await p.goto(box.adminUrl + '/server');
    assert.match(p.url(), /\/login$/);
  } finally {
    await stranger.close();
  }
  // With the logged-in session's cookie but no token.
  const r = await ctx.request.post(box.adminUrl + '/server', { form: { 'server.name': 'hijacked' }, maxRedirects: 0 });
  assert.equal(r.status(), 403);
  const srv = await box.serverRpc();
  try {
    const profile = await srv.call<{ name: string }>('jamulusserver/getServerProfile');
    assert.notEqual(profile.name, 'hijacked');
  } finally {
    srv.close();
  }
});

test('a musician named <b>x</b><i>y</i> on a real Jamulus client shows as literal text, with a meter', async () => {
  await page.goto(box.adminUrl + '/');
  const name = await until('the musician on the status page', async () => {
    const names = await page.locator('.musicians .name').allTextContents();
    return names.find((n) => n === HTML_NAME);
  });
  assert.equal(name, HTML_NAME);
  assert.equal(await page.locator('.musicians b, .musicians i').count(), 0, 'no element made from the name');
  assert.ok((await page.locator('.musicians .meter').count()) >= 1);
  await shot('status');
});

test('switching to public mode: the running server reports the directory over JSON-RPC', async () => {
  await page.goto(box.adminUrl + '/server');
  await page.selectOption('#f-server-mode', 'public');
  await page.selectOption('#f-server-directory', 'genre_jazz');
  await page.fill('#f-server-name', 'Salle <3');
  await page.click('#server-form button[type=submit]');
  await page.waitForSelector('#server-form .notice.ok[data-target="server"]');
  const srv = await box.serverRpc();
  try {
    const profile = await srv.call<{ name: string; directory: string; directoryType: string }>('jamulusserver/getServerProfile');
    assert.equal(profile.directoryType, 'genre_jazz');
    assert.equal(profile.directory, 'jazz.jamulus.app:22324');
    assert.equal(profile.name, 'Salle <3');
  } finally {
    srv.close();
  }
  await page.goto(box.adminUrl + '/server');
  await shot('server');
});

test('invalid values come back with per-field errors (422) and change nothing', async () => {
  await page.goto(box.adminUrl + '/server');
  await page.fill('#f-server-port', '80');
  await page.fill('#f-server-maxClients', '0');
  // What a client without HTML form validation sends: the server must judge it alone.
  await page.$eval('#server-form', (f) => f.setAttribute('novalidate', ''));
  const [resp] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/server') && r.request().method() === 'POST'), page.click('#server-form button[type=submit]')]);
  assert.equal(resp.status(), 422);
  await page.waitForSelector('#f-server-port-box .error');
  assert.match((await page.textContent('#f-server-port-box .error')) ?? '', /between 1024 and 65535/);
  assert.match((await page.textContent('#f-server-maxClients-box .error')) ?? '', /between 1 and 150/);
  const srv = await box.serverRpc();
  try {
    const stats = await srv.call<{ port: number }>('riffbox/getServerStats');
    assert.equal(stats.port, box.serverPort, 'the server kept its port');
  } finally {
    srv.close();
  }
});

test('saving DDNS: the token never comes back and ddclient.conf is rendered 0600', async () => {
  await page.goto(box.adminUrl + '/ddns');
  await page.check('#f-ddns-enabled');
  await page.selectOption('#f-ddns-provider', 'duckdns');
  await page.fill('#f-ddns-host', 'ourband.duckdns.org');
  await page.fill('#f-ddns-token', DDNS_TOKEN);
  await page.click('#ddns-form button[value=save]');
  await page.waitForSelector('#ddns-form .notice.ok[data-target="ddns"]');
  await page.reload();
  await shot('ddns');
  const conf = join(box.root, 'etc/ddclient.conf');
  assert.equal(statSync(conf).mode & 0o777, 0o600);
  const text = readFileSync(conf, 'utf8');
  assert.match(text, /^protocol=duckdns, ssl=yes, \\$/m);
  assert.ok(text.includes(`password='${DDNS_TOKEN}' \\\nourband\n`), text);
  assert.equal(await page.inputValue('#f-ddns-token'), '');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(bodies.length > 5);
  for (const b of bodies) assert.ok(!b.includes(DDNS_TOKEN), 'token absent from every response');
});

test('moving a fader: the running riffbox client receives it', async () => {
  await page.goto(box.adminUrl + '/client');
  const strip = await until('the musician on the mix page', async () => {
    await page.reload();
    const s = page.locator(`.strip[data-name="${HTML_NAME.replace(/"/g, '\\"')}"]`);
    return (await s.count()) === 1 ? s : undefined;
  }, 20000);
  assert.equal(await strip.locator('.name').textContent(), HTML_NAME);
  // The device line names the format ALSA's null PCM took: the first one tried.
  assert.match((await page.locator('#client-form').textContent()) ?? '', /device running \(16-bit\), xruns \d+/);
  const fader = strip.locator('input[data-control=fader]');
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/client/mix')), fader.fill('30')]);
  await strip.locator('input[data-control=mute]').check();
  const cl = await box.clientRpc();
  try {
    const mix = await until('the fader at the client', async () => {
      const r = await cl.call<{ mix: Record<string, { fader: number; mute: boolean }> }>('riffbox/getMix');
      const e = r.mix[HTML_NAME];
      return e && e.fader === 30 && e.mute ? e : undefined;
    }, 5000);
    assert.equal(mix.fader, 30);
  } finally {
    cl.close();
  }
  await shot('client');
});

test('network and system pages render at phone width without sideways scrolling', async () => {
  for (const [path, name] of [['/network', 'network'], ['/system', 'system']] as const) {
    await page.goto(box.adminUrl + path);
    const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") as number;
    assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px`);
    if (name === 'network') assert.match((await page.textContent('#forward-rule')) ?? '', new RegExp(`UDP[\\s\\S]*${box.serverPort}`));
    await shot(name);
  }
});
