// The admin's pure parts: ddclient.conf per provider (and what ddclient cannot read), ddclient's
// cache, the NetworkManager keyfile, /etc/hosts, passwords, signed sessions and CSRF, the guessing
// limits, claim codes, the Host check, multipart parsing, French completeness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSettings, type FlatSettings, type SettingsPatch } from '../../appliance/src/settings/index.js';
import { renderDdclientConf, parseDdclientCache, DdclientConfigError } from '../../webadmin/src/apply/ddclient-conf.js';
import { renderKeyfile } from '../../webadmin/src/apply/network.js';
import { hostsWithName } from '../../webadmin/src/apply/system.js';
import { hashPassword, verifyPassword, passwordProblem } from '../../webadmin/src/security/password.js';
import { issueSession, readSession, csrfToken, csrfValid } from '../../webadmin/src/security/session.js';
import { AttemptGuard, sourceKey } from '../../webadmin/src/security/throttle.js';
import { parseMultipart } from '../../webadmin/src/multipart.js';
import { newClaimCode, normalizeClaimCode } from '../../webadmin/src/security/claim-code.js';
import { HostCheck, hostOf } from '../../webadmin/src/security/host-check.js';
import { EN } from '../../webadmin/src/i18n/en.js';
import { FR } from '../../webadmin/src/i18n/fr.js';

const PATHS = { cache: '/var/cache/ddclient/ddclient.cache', webv4: 'https://api.ipify.org/', ifv6: 'eth0' };
const s = (patch: SettingsPatch): FlatSettings => ({ ...defaultSettings(), 'ddns.enabled': true, ...patch }) as FlatSettings;

test('ddclient.conf for each provider', () => {
  assert.equal(renderDdclientConf(defaultSettings(), PATHS), null, 'off: no file');
  const duck = renderDdclientConf(s({ 'ddns.provider': 'duckdns', 'ddns.host': 'band.duckdns.org', 'ddns.token': 'tok' }), PATHS)!;
  assert.match(duck, /^protocol=duckdns, ssl=yes, \\\npassword='tok' \\\nband\n$/m);
  assert.match(duck, /^usev4=webv4\nwebv4=https:\/\/api\.ipify\.org\/$/m);
  const cf = renderDdclientConf(s({ 'ddns.provider': 'cloudflare', 'ddns.host': 'jam.example.org', 'ddns.zone': 'example.org', 'ddns.token': 'cf' }), PATHS)!;
  assert.match(cf, /^protocol=cloudflare, ssl=yes, zone=example\.org, ttl=1, login=token, \\\npassword='cf' \\\njam\.example\.org$/m);
  const noip = renderDdclientConf(s({ 'ddns.provider': 'noip', 'ddns.host': 'a.ddns.net', 'ddns.username': 'me@example.org', 'ddns.password': "p#'x" }), PATHS)!;
  assert.match(noip, /^protocol=noip, ssl=yes, login=me@example\.org, \\\npassword='p#'x' \\\na\.ddns\.net$/m);
  const free = renderDdclientConf(s({ 'ddns.provider': 'freedns', 'ddns.host': 'a.mooo.com', 'ddns.username': 'u', 'ddns.password': 'p' }), PATHS)!;
  assert.match(free, /^protocol=freedns, /m);
  const lan = renderDdclientConf(s({ 'ddns.provider': 'dyndns2', 'ddns.server': '192.168.1.5:8245', 'ddns.host': 'h.example.org', 'ddns.username': 'u', 'ddns.password': 'p' }), PATHS)!;
  assert.match(lan, /ssl=no, server=192\.168\.1\.5:8245/);
  const wan = renderDdclientConf(s({ 'ddns.provider': 'dyndns2', 'ddns.server': 'members.dyndns.org', 'ddns.host': 'h.example.org', 'ddns.username': 'u', 'ddns.password': 'p' }), PATHS)!;
  assert.match(wan, /ssl=yes, server=members\.dyndns\.org/);
  const own = renderDdclientConf(s({ 'ddns.provider': 'duckdns', 'ddns.host': 'b.duckdns.org', 'ddns.token': 't', 'ddns.checkip': 'http://10.0.0.1:8080/ip' }), PATHS)!;
  assert.match(own, /^usev4=webv4\nwebv4=http:\/\/10\.0\.0\.1:8080\/ip$/m, "the owner's address lookup replaces the default");
  assert.throws(() => renderDdclientConf(s({ 'ddns.provider': 'noip', 'ddns.host': 'a.ddns.net', 'ddns.username': 'me#x', 'ddns.password': 'p' }), PATHS), DdclientConfigError);
  assert.doesNotMatch(duck, /usev6/, 'IPv4 only by default');
});

test('ddclient.conf publishes the AAAA record from the box\'s own interface, with or without IPv4', () => {
  const both = renderDdclientConf(s({ 'ddns.provider': 'duckdns', 'ddns.host': 'band.duckdns.org', 'ddns.token': 'tok', 'ddns.addresses': 'ipv4+ipv6' }), PATHS)!;
  assert.match(both, /^usev4=webv4\nwebv4=https:\/\/api\.ipify\.org\/\nusev6=ifv6\nifv6=eth0$/m);
  const v6 = renderDdclientConf(s({ 'ddns.provider': 'duckdns', 'ddns.host': 'band.duckdns.org', 'ddns.token': 'tok', 'ddns.addresses': 'ipv6' }), PATHS)!;
  assert.match(v6, /^usev4=disabled\nusev6=ifv6\nifv6=eth0$/m);
  assert.doesNotMatch(v6, /webv4/);
});

test('ddclient cache, 3.10 and 3.11 styles', () => {
  const [a] = parseDdclientCache('## ddclient-3.10.0\natime=1700000000,ip=203.0.113.7,mtime=1700000000,status=good,status-ipv4=noconnect h.example.org\n');
  assert.deepEqual(a, { host: 'h.example.org', ip: '203.0.113.7', status: 'good', mtime: '2023-11-14T22:13:20.000Z', atime: '2023-11-14T22:13:20.000Z' });
  const [b] = parseDdclientCache('ipv4=198.51.100.2,status-ipv4=good,status=,mtime=0 x.duckdns\n');
  assert.equal(b!.status, 'good');
  assert.equal(b!.ip, '198.51.100.2');
  assert.equal(b!.mtime, null);
});

test('NetworkManager keyfile and /etc/hosts', () => {
  const kf = renderKeyfile('eth0', { ...defaultSettings(), 'network.staticEnabled': true, 'network.address': '192.168.1.50', 'network.prefix': 24, 'network.gateway': '192.168.1.1', 'network.dns': ['192.168.1.1', '9.9.9.9'] } as FlatSettings);
  assert.match(kf, /^interface-name=eth0$/m);
  assert.match(kf, /^method=manual\naddress1=192\.168\.1\.50\/24,192\.168\.1\.1\ndns=192\.168\.1\.1;9\.9\.9\.9;$/m);
  assert.equal(hostsWithName('127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n', 'riffbox'), '127.0.0.1\tlocalhost\n127.0.1.1\triffbox\n');
  assert.equal(hostsWithName('127.0.0.1\tlocalhost\n', 'band'), '127.0.0.1\tlocalhost\n127.0.1.1\tband\n');
});

test('passwords: scrypt round trip, wrong and malformed hashes refused', async () => {
  const h = await hashPassword('correct horse');
  assert.match(h, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse', h), true);
  assert.equal(await verifyPassword('correct horsf', h), false);
  assert.equal(await verifyPassword('x', ''), false);
  assert.equal(await verifyPassword('x', 'scrypt$99999999$8$1$aa$bb'), false);
  assert.equal(passwordProblem('short', 'short'), 'passwordTooShort');
  assert.equal(passwordProblem('long enough', 'long enougH'), 'passwordMismatch');
  assert.equal(passwordProblem('long enough', 'long enough'), undefined);
});

test('sessions and CSRF tokens are bound to the secret, the epoch, the nonce and the expiry', () => {
  const { cookie, session } = issueSession('secret-1', 7, 1000);
  assert.deepEqual(readSession('secret-1', 7, cookie, 2000), session);
  assert.equal(readSession('secret-2', 7, cookie, 2000), undefined, 'a new secret ends every session');
  assert.equal(readSession('secret-1', 8, cookie, 2000), undefined, 'a new epoch ends every session');
  assert.equal(readSession('secret-1', 7, cookie.replace('v2.7.', 'v2.8.'), 2000), undefined, 'tampered epoch');
  assert.equal(readSession('secret-1', 7, cookie, session.expiresAt + 1), undefined, 'expired');
  assert.equal(readSession('secret-1', 7, cookie.replace(`.${session.expiresAt}.`, `.${session.expiresAt + 1e9}.`), 2000), undefined, 'tampered expiry');
  const tok = csrfToken('secret-1', session.nonce);
  assert.equal(csrfValid('secret-1', session.nonce, tok), true);
  assert.equal(csrfValid('secret-1', 'other-nonce', tok), false);
  assert.equal(csrfValid('secret-1', session.nonce, undefined), false);
  assert.equal(csrfValid('secret-1', session.nonce, ''), false);
});

test('attempt guard: counted before verification, a doubling wait per source, handed back on success', () => {
  let now = 0;
  const g = new AttemptGuard({ freeAttempts: 2, baseDelayMs: 1000, maxDelayMs: 4000, globalBudget: 100, maxConcurrent: 100 }, () => now);
  // Three attempts started before any is verified: all counted, so the third already sets a wait.
  const a = [g.begin('a'), g.begin('a'), g.begin('a')];
  assert.ok(a.every((x) => x.ok));
  const blocked = g.begin('a');
  assert.ok(!blocked.ok && blocked.reason === 'source' && blocked.retryAfterMs === 1000, JSON.stringify(blocked));
  for (const x of a) if (x.ok) x.attempt.failed();
  now = 1000;
  const fourth = g.begin('a');
  assert.ok(fourth.ok);
  fourth.attempt.failed();
  const wait = g.begin('a');
  assert.ok(!wait.ok && wait.retryAfterMs === 2000, 'doubles');
  for (let i = 0; i < 6; i++) {
    now += 10000;
    const x = g.begin('a');
    if (x.ok) x.attempt.failed();
  }
  const capped = g.begin('a');
  assert.ok(!capped.ok && capped.retryAfterMs === 4000, 'capped');
  assert.ok(g.begin('b').ok, 'per source');
  now += 10000;
  const right = g.begin('a');
  assert.ok(right.ok);
  right.attempt.succeeded();
  assert.ok(g.begin('a').ok, 'a success forgets the source');
});

test('attempt guard: a global failure budget and a cap on verifications in flight', () => {
  let now = 0;
  const g = new AttemptGuard({ freeAttempts: 100, globalBudget: 5, globalRefillMs: 1000, maxConcurrent: 2 }, () => now);
  const first = g.begin('s1');
  const second = g.begin('s2');
  const third = g.begin('s3');
  assert.ok(first.ok && second.ok);
  assert.ok(!third.ok && third.reason === 'busy', 'a third verification at once is refused, not queued');
  assert.equal(g.running, 2);
  if (first.ok) first.attempt.failed();
  if (second.ok) second.attempt.succeeded();
  for (let i = 0; i < 4; i++) {
    const x = g.begin(`t${i}`);
    assert.ok(x.ok, `attempt ${i}`);
    if (x.ok) x.attempt.failed();
  }
  // 5 budget - 1 failed - 4 failed (the success was handed back): empty, whatever the source.
  const over = g.begin('fresh-address');
  assert.ok(!over.ok && over.reason === 'global' && over.retryAfterMs === 1000, JSON.stringify(over));
  now += 1000;
  assert.ok(g.begin('fresh-address').ok, 'the budget refills');
});

test('throttling keys: IPv4 as is, IPv4-mapped unwrapped, IPv6 by its /64', () => {
  assert.equal(sourceKey('192.168.1.7'), '192.168.1.7');
  assert.equal(sourceKey('::ffff:192.168.1.7'), '192.168.1.7');
  assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('::1'), '0:0:0:0::/64');
  assert.equal(sourceKey(undefined), 'unknown');
});

test('claim codes: 60 bits in an unambiguous alphabet, forgiving when typed back', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const c = newClaimCode();
    assert.match(c, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    seen.add(c);
  }
  assert.equal(seen.size, 200);
  assert.equal(normalizeClaimCode(' 7kq2 m9xd-4rtb '), '7KQ2-M9XD-4RTB');
  assert.equal(normalizeClaimCode('OIL0-0000-0000'), '0110-0000-0000', 'O, I and L read as the digits they look like');
  for (const bad of ['', '7KQ2-M9XD', '7KQ2-M9XD-4RTBX', '7KQ2-M9XD-4RTU', 'x'.repeat(100)]) assert.equal(normalizeClaimCode(bad), null, bad);
});

test('Host header: the host part, without port, brackets or a final dot; malformed is null', () => {
  assert.equal(hostOf('RiffBox.Local:8080'), 'riffbox.local');
  assert.equal(hostOf('riffbox.local.'), 'riffbox.local');
  assert.equal(hostOf('[::1]:80'), '::1');
  assert.equal(hostOf('[fe80::1]'), 'fe80::1');
  assert.equal(hostOf('192.168.1.20'), '192.168.1.20');
  for (const bad of [undefined, '', 'a:b:c', '[::1', '[nothost]:80', 'host:port', 'evil.example:99999999', 'bad host', 'x@evil']) {
    assert.equal(hostOf(bad), null, String(bad));
  }
  const check = new HostCheck({ configuredName: () => 'bandbox', publicName: () => 'band.duckdns.org', osName: () => 'raspberrypi', addresses: () => ['192.168.1.20', 'fd00::20'] });
  for (const ok of ['bandbox', 'bandbox.local', 'raspberrypi.local', 'riffbox.local', 'band.duckdns.org', 'localhost', '127.0.0.1', '127.1.2.3', '::1', '192.168.1.20', 'fd00::20']) {
    assert.equal(check.allows(ok), true, ok);
  }
  for (const no of ['evil.example', 'bandbox.evil.example', 'x.band.duckdns.org', '192.168.1.21', 'fd00::21', 'riffbox']) assert.equal(check.allows(no), false, no);
});

test('multipart: one file and a field', () => {
  const body = Buffer.from('--XY\r\nContent-Disposition: form-data; name="password"\r\n\r\npw\r\n--XY\r\nContent-Disposition: form-data; name="backup"; filename="b.json"\r\nContent-Type: application/json\r\n\r\n{"a":1}\r\n--XY--\r\n');
  const m = parseMultipart(body, 'multipart/form-data; boundary=XY')!;
  assert.equal(m.fields.password, 'pw');
  assert.equal(m.files.backup!.toString(), '{"a":1}');
  assert.equal(parseMultipart(body, 'application/json'), null);
});

test('French translates every message', () => {
  const missing = Object.keys(EN).filter((k) => !(k in FR) || FR[k as keyof typeof FR] === '');
  assert.deepEqual(missing, []);
  for (const [k, v] of Object.entries(EN)) {
    const vars = (v.match(/\{\w+\}/g) ?? []).sort();
    assert.deepEqual((FR[k as keyof typeof FR].match(/\{\w+\}/g) ?? []).sort(), vars, `placeholders of ${k}`);
  }
});
