// The claim, as the owner makes it: the code the box wrote on its card (read here through the
// box's root shell, as the owner would read the card on a computer or the HDMI screen), typed into
// the first-run page on the phone. Before that, what a stranger tries must fail: a claim without the
// code, and a request naming another host (DNS rebinding).
import { request } from 'node:http';
import { BOX_URL, slow, until } from './phone.js';
import type { Journey } from './journey-context.js';

/** The claim code line the box writes into riffbox.txt on the boot partition. */
export async function claimCodeOnCard(j: Journey): Promise<string> {
  return until('a claim code in riffbox.txt', async () => {
    const r = await j.vm.shell.run("sed -n 's/^claim_code=//p' /boot/firmware/riffbox.txt");
    const code = r.out.trim();
    return /^[A-Z0-9]{4}(-[A-Z0-9]{4}){2}$/.test(code) ? code : false;
  }, 60000);
}

/** A raw HTTP request with any Host header (fetch will not send a chosen Host). */
export function rawRequest(port: number, path: string, host: string, method = 'GET', body?: string): Promise<{ status: number; text: string; location: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, location: String(res.headers.location ?? '') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function setupWith(j: Journey, code: string, password: string): Promise<string> {
  const page = j.phone.page;
  await page.goto(`${BOX_URL}/setup`);
  await page.fill('#code', code);
  await page.fill('#password', password);
  await page.fill('#confirm', password);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/setup"] button[type=submit]')]);
  return page.url();
}

/** Claims the box (first boot, or after a factory reset): refusals first, then the owner's claim. */
export async function stepClaim(j: Journey, password: string): Promise<void> {
  const { r, ports, phone } = j;
  const foreign = await rawRequest(ports.http, '/setup', 'rebind.example.net');
  r.check('a request naming a foreign Host is refused', foreign.status === 421 || foreign.status === 403, `status ${foreign.status}: ${foreign.text.slice(0, 120)}`);
  await phone.page.goto(`${BOX_URL}/`);
  r.check('a fresh box sends the phone to the claim page', /\/setup$/.test(phone.page.url()), phone.page.url());
  const where = ((await phone.page.textContent('#claim-where')) ?? '').replace(/\s+/g, ' ');
  r.check('the claim page says where the code is (the card\'s riffbox.txt, the HDMI screen)', /riffbox\.txt/.test(where), where.slice(0, 300));

  const code = await claimCodeOnCard(j);
  const wrong = code.replace(/[A-Z0-9]$/, (c) => (c === 'A' ? 'B' : 'A'));
  const refusedAt = await setupWith(j, wrong, password);
  const refusal = ((await phone.page.textContent('main')) ?? '').replace(/\s+/g, ' ');
  r.check('a claim without the right code is refused', /\/setup$/.test(refusedAt) && /code/i.test(refusal), refusal.slice(0, 200));

  const t0 = Date.now();
  const landed = await setupWith(j, code, password);
  j.password = password;
  r.check('the claim with the code from the card succeeds and opens the Status page', landed === `${BOX_URL}/` && (await phone.page.textContent('h1')) === 'Status',
    `${landed} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const closed = await rawRequest(ports.http, '/setup', 'riffbox.local');
  r.check('setup is closed once the box is claimed', closed.status === 303 && closed.location === '/login', `status ${closed.status} → ${closed.location}`);
  // The code is spent in the admin's store at once (setup is closed, above); the card's copy is blanked by
  // riffbox-bootconfig at the next boot (the admin may not write the boot partition), checked after the reboot.
  j.spentCode = code;
}

/** Logs in on a fresh phone profile (no cookie): the password still works. */
export async function loginFresh(j: Journey): Promise<boolean> {
  await j.phone.fresh();
  const page = j.phone.page;
  await page.goto(`${BOX_URL}/`);
  if (!/\/login$/.test(page.url())) return false;
  await page.fill('#password', j.password);
  await Promise.all([page.waitForURL(`${BOX_URL}/`, { timeout: slow(30000) }), page.click('main button[type=submit]')]);
  return (await page.textContent('h1')) === 'Status';
}
