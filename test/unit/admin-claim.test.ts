// Issue 10, "a claim only the owner can make", against the real admin over HTTP: a fresh box is
// claimed only with the code its start-up wrote to the card (ROOT/boot/firmware/riffbox.txt from a
// checkout), never under a foreign Host name, and exactly once however many claims race; a
// factory reset protects it again with a new code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { AdminHttp, type Reply } from '../browser/admin-http.js';
import { startAdmin, type AdminInstance } from '../browser/admin-instance.js';
import { verifyPassword } from '../../webadmin/src/security/password.js';
import { normalizeClaimCode } from '../../webadmin/src/security/claim-code.js';

/** One request written by hand (what an HTTP client library will not send); the status line back. */
function rawRequest(base: string, text: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.end(text));
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('end', () => resolve(got.split('\r\n')[0] ?? ''));
    s.on('error', reject);
  });
}

const claimForm = (code: string, password: string): Record<string, string> => ({ code, password, confirm: password, lang: 'en' });

async function claimAttempt(a: AdminInstance, from: string, code: string, password: string): Promise<Reply> {
  const web = new AdminHttp(a.base, from);
  await web.get('/setup');
  return web.post('/setup', claimForm(code, password));
}

/** Another code of the right shape: the real one with its first symbol changed. */
function wrongCode(code: string): string {
  const c = normalizeClaimCode(code)!;
  return `${c[0] === '7' ? '8' : '7'}${c.slice(1)}`;
}

test('without the code from the card the claim is refused, and guessing is throttled', async () => {
  const a = await startAdmin();
  try {
    const code = a.claimCode();
    const web = new AdminHttp(a.base);
    const first = await web.get('/');
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/setup');
    const page = await web.get('/setup');
    assert.equal(page.status, 200);
    assert.match(page.text, /riffbox\.txt/, 'the page says where the code is');
    assert.ok(!page.text.includes(code), 'the page never shows the code');

    const none = await web.post('/setup', claimForm('', 'a fine password'));
    assert.equal(none.status, 422);
    assert.match(none.text, /Type the claim code/);
    const wrong = await web.post('/setup', claimForm(wrongCode(code), 'a fine password'));
    assert.equal(wrong.status, 422);
    assert.match(wrong.text, /not this box&#39;s claim code/);
    // Counted before they are checked: a burst from one address meets the wait at once.
    const burst = await Promise.all(Array.from({ length: 8 }, () => web.post('/setup', claimForm(wrongCode(code), 'a fine password'))));
    assert.ok(burst.filter((r) => r.status === 429).length >= 5, `statuses ${burst.map((r) => r.status).join(' ')}`);
    assert.ok(burst.every((r) => r.status === 422 || r.status === 429));
    // One at a time, a few more guesses and this address has to wait.
    let throttled: Reply | undefined;
    for (let i = 0; i < 5 && !throttled; i++) {
      const r = await web.post('/setup', claimForm(wrongCode(code), 'a fine password'));
      if (r.status === 429 && /Too many attempts/.test(r.text)) throttled = r;
    }
    assert.ok(throttled, 'the wrong codes from one address are throttled');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    // Even the right code waits while this address is throttled.
    assert.equal((await web.post('/setup', claimForm(code, 'a fine password'))).status, 429);
    assert.equal(a.adminStore.auth().passwordHash, '', 'still unclaimed');

    // The owner, from another phone, with the code as typed from the card (lower case, spaces).
    const owner = await claimAttempt(a, '127.0.0.3', code.toLowerCase().replace(/-/g, ' '), 'the owner password');
    assert.equal(owner.status, 303, owner.text);
    assert.equal(owner.headers.get('location'), '/');
    assert.equal(await verifyPassword('the owner password', a.adminStore.auth().passwordHash), true);
    assert.equal(a.adminStore.auth().claimCodeHash, '', 'the code is spent');
  } finally {
    await a.stop();
  }
});

test('a request that does not name the box is refused before any route, claim included', async () => {
  const a = await startAdmin();
  try {
    const code = a.claimCode();
    const web = new AdminHttp(a.base);
    for (const host of ['evil.example', 'evil.example:8080', 'riffbox.local.evil.example', '127.0.0.1.nip.io', '10.9.8.7', '[2001:db8::1]:80', 'riff box', 'riffbox.local:80:80']) {
      const r = await web.request('GET', '/setup', { host });
      assert.equal(r.status, 421, `Host ${JSON.stringify(host)}: ${r.status}`);
      assert.match(r.text, /answers only under the box's own name or address/);
    }
    const r = await web.request('GET', '/static/admin.css', { host: 'evil.example' });
    assert.equal(r.status, 421, 'static files too');
    assert.match(await rawRequest(a.base, 'GET /setup HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 421 /, 'no Host at all (HTTP/1.0)');
    // The DNS-rebinding page's claim, with the right code even: refused, nothing changes.
    await web.get('/setup');
    const rebound = await web.request('POST', '/setup', { host: 'evil.example', form: { _csrf: web.csrf, ...claimForm(code, 'an attacker password') } });
    assert.equal(rebound.status, 421);
    assert.equal(a.adminStore.auth().passwordHash, '');
    // The box's own names, with or without a port, and loopback.
    for (const host of ['riffbox.local', 'RIFFBOX.LOCAL:80', 'riffbox', 'riffbox.local.', 'localhost:8080', '127.0.0.1', '[::1]:8080']) {
      const ok = await web.request('GET', '/setup', { host });
      assert.equal(ok.status, 200, `Host ${host}: ${ok.status}`);
    }
    const named = await web.request('POST', '/setup', { host: 'riffbox.local', form: { _csrf: web.csrf, ...claimForm(code, 'the owner password') } });
    assert.equal(named.status, 303);
  } finally {
    await a.stop();
  }
});

for (const variant of [
  { name: 'all verified at once', app: { guardOptions: { maxConcurrent: 20 } } },
  { name: 'with the default limits', app: {} },
]) {
  test(`20 concurrent claims with the right code: exactly one wins (${variant.name})`, async () => {
    const a = await startAdmin({ app: variant.app });
    try {
      const code = a.claimCode();
      const secretBefore = a.adminStore.auth().sessionSecret;
      const epochBefore = a.adminStore.auth().sessionEpoch;
      // Twenty phones on twenty addresses, each with the form loaded, then all sent at once.
      const phones = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const web = new AdminHttp(a.base, `127.0.0.${20 + i}`);
        await web.get('/setup');
        return web;
      }));
      const replies = await Promise.all(phones.map((web, i) => web.post('/setup', claimForm(code, `password number ${i}`))));
      const winners = replies.map((r, i) => ({ r, i })).filter(({ r }) => r.status === 303 && r.headers.get('location') === '/');
      assert.equal(winners.length, 1, `statuses ${replies.map((r) => `${r.status}${r.headers.get('location') ?? ''}`).join(' ')}`);
      const w = winners[0]!;
      assert.ok(w.r.headers.getSetCookie().some((c) => c.startsWith('rb_session=')), 'the winner gets a session');
      for (const [i, r] of replies.entries()) {
        if (i === w.i) continue;
        assert.ok([303, 403, 429].includes(r.status), `loser ${i}: ${r.status}`);
        assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith('rb_session=')), `loser ${i} got no session`);
      }
      const auth = a.adminStore.auth();
      assert.equal(await verifyPassword(`password number ${w.i}`, auth.passwordHash), true, "the winner's password is the one stored");
      assert.notEqual(auth.sessionSecret, secretBefore, 'the session secret rotated at the claim');
      assert.ok(auth.sessionEpoch > epochBefore);
      assert.equal(auth.claimCodeHash, '', 'the code is spent');
      assert.equal((await phones[w.i]!.get('/server')).status, 200, "the winner's session works");
      const loser = new AdminHttp(a.base, '127.0.0.99');
      assert.equal((await loser.login(`password number ${(w.i + 1) % 20}`)).status, 401);
      console.log(`claim race (${variant.name}): 1 winner of 20; others ${[...new Set(replies.filter((_, i) => i !== w.i).map((r) => r.status))].join('/')}`);
    } finally {
      await a.stop();
    }
  });
}

test('a form loaded before the claim is void after it (the secret rotated), and a factory reset issues a new code', async () => {
  const a = await startAdmin();
  try {
    const oldCode = a.claimCode();
    const late = new AdminHttp(a.base, '127.0.0.5');
    await late.get('/setup');
    const owner = new AdminHttp(a.base);
    assert.equal((await owner.setup('the owner password', oldCode)).status, 303);
    const stale = await late.post('/login', { password: 'the owner password' });
    assert.equal(stale.status, 403, 'CSRF tokens made with the old secret are refused');

    const other = new AdminHttp(a.base, '127.0.0.6');
    assert.equal((await other.login('the owner password')).status, 303);
    await owner.get('/system');
    const reset = await owner.post('/system/factory-reset', { password: 'the owner password' });
    assert.equal(reset.status, 303);
    assert.equal(reset.headers.get('location'), '/setup');
    assert.equal((await other.get('/server')).status, 303, "the other browser's session ended");
    const newCode = a.claimCode();
    assert.notEqual(newCode, oldCode, 'a fresh code on the card');
    const setup = await owner.get('/setup');
    assert.match(setup.text, /riffbox\.txt/);
    assert.doesNotMatch(setup.text, /has no claim code yet/);
    assert.equal((await owner.post('/setup', claimForm(oldCode, 'someone else'))).status, 422, 'the old code is spent');
    assert.equal((await owner.post('/setup', claimForm(newCode, 'the new owner password'))).status, 303);
  } finally {
    await a.stop();
  }
});
