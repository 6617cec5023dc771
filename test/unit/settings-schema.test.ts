import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SETTINGS, SETTING_KEYS, SECRET_KEYS, defaultSettings, reloadTargets, toNested, redactSecrets, secretsSet,
  type FlatSettings,
} from '../../appliance/src/settings/schema.js';
import { errorsToLine, mergePatch, parseTextPatch, validateAll, validatePatch } from '../../appliance/src/settings/validate.js';

function errorsOf(r: ReturnType<typeof validatePatch>): Record<string, string> {
  assert.equal(r.ok, false, 'expected validation to fail');
  return r.ok ? {} : { ...r.errors };
}

test('every default passes its own validator and survives format → parse', () => {
  assert.deepEqual(validateAll(defaultSettings()), {});
  for (const k of SETTING_KEYS) {
    const f = SETTINGS[k].field as { format(v: unknown): string; parse(t: string, l: string): { ok: boolean; value?: unknown } };
    const back = f.parse(f.format(SETTINGS[k].default), SETTINGS[k].label);
    // Optional empty values round-trip except where '' is not a valid input (required host).
    assert.ok(back.ok, `${k}: default does not re-parse`);
    assert.deepEqual(back.value, SETTINGS[k].default, k);
  }
});

test('the bad values of issue 3 are refused with clear messages', () => {
  assert.deepEqual(errorsOf(validatePatch({ 'server.port': 80 })), { 'server.port': 'Port must be between 1024 and 65535' });
  assert.deepEqual(errorsOf(validatePatch({ 'server.port': 70000 })), { 'server.port': 'Port must be between 1024 and 65535' });
  assert.deepEqual(errorsOf(validatePatch({ 'server.name': 'x'.repeat(200) })), { 'server.name': 'Server name must be at most 20 characters' });
  assert.deepEqual(errorsOf(validatePatch({ 'server.country': 999 })), { 'server.country': 'Country must be a known country' });
  assert.deepEqual(errorsOf(parseTextPatch({ 'server.country': 'ZZ' })), {
    'server.country': 'Country: Unknown country "ZZ": not an ISO 3166-1 two-letter code riffbox knows',
  });
});

test('all field errors come back at once, and unknown keys are named', () => {
  const e = errorsOf(validatePatch({
    'server.port': '22124', 'server.maxClients': 0, 'server.mode': 'open', 'client.frames': 256, 'client.name': 'seventeen chars!!',
    'server.welcome': 'a\u0000b', 'server.fastUpdate': 'yes', 'bogus.key': 1, 'client.server': 'bad host:1:2',
  }));
  assert.deepEqual(e, {
    'server.port': 'Port must be a whole number',
    'server.maxClients': 'Max clients must be between 1 and 150',
    'server.mode': 'Mode must be one of: private, public',
    'client.frames': 'Frames must be one of: 64, 128',
    'client.name': 'Name must be at most 16 characters',
    'server.welcome': 'Welcome message must not contain control characters',
    'server.fastUpdate': 'Fast update must be true or false',
    'bogus.key': 'Unknown setting bogus.key',
    'client.server': 'Server must be a host name or IP address, optionally followed by :port (1–65535)',
  });
  assert.match(errorsToLine(e), /^Port must be a whole number; Max clients must be between 1 and 150; /);
  assert.equal(validatePatch([]).ok, false);
});

test('names are counted in UTF-16 units as Jamulus does: a 16-character HTML-looking name fits', () => {
  assert.ok(validatePatch({ 'client.name': '<b>x</b><i>y</i>' }).ok);
  assert.equal('<b>x</b><i>y</i>'.length, 16);
  assert.ok(!validatePatch({ 'client.name': '😀'.repeat(9) }).ok, '9 emoji are 18 UTF-16 units');
});

test('text patches from forms and CLI are parsed by the same rules', () => {
  const r = parseTextPatch({
    'server.port': ' 22120 ', 'server.fastUpdate': 'on', 'server.country': 'de', 'client.frames': '64',
    'network.dns': '1.1.1.1, 9.9.9.9', 'server.welcome': 'line1\r\nline2', 'server.directory': 'any_genre_3',
  });
  assert.ok(r.ok);
  assert.deepEqual(r.patch, {
    'server.port': 22120, 'server.fastUpdate': true, 'server.country': 82, 'client.frames': 64,
    'network.dns': ['1.1.1.1', '9.9.9.9'], 'server.welcome': 'line1\nline2', 'server.directory': 'any_genre_asia',
  });
  assert.deepEqual(errorsOf(parseTextPatch({ 'server.port': '22124x' })), { 'server.port': 'Port must be a whole number' });
});

test('directory: a genre key or a custom host[:port]', () => {
  assert.ok(validatePatch({ 'server.directory': 'genre_rock' }).ok);
  assert.ok(validatePatch({ 'server.directory': '203.0.113.10:22224' }).ok);
  assert.ok(validatePatch({ 'server.directory': 'localhost' }).ok);
  assert.ok(!validatePatch({ 'server.directory': 'custom' }).ok);
  assert.ok(!validatePatch({ 'server.directory': 'host:0' }).ok);
  assert.ok(!validatePatch({ 'server.directory': '' }).ok);
});

test('static IP: address and gateway required, gateway inside the subnet', () => {
  assert.deepEqual(errorsOf(validatePatch({ 'network.staticEnabled': true })), {
    'network.address': 'IP address is required for a static IP',
    'network.gateway': 'Gateway is required for a static IP',
  });
  assert.deepEqual(
    errorsOf(validatePatch({ 'network.staticEnabled': true, 'network.address': '192.168.1.20', 'network.gateway': '192.168.2.1' })),
    { 'network.gateway': "Gateway must be inside 192.168.1.0/24, the box's own network" },
  );
  assert.deepEqual(
    errorsOf(validatePatch({ 'network.staticEnabled': true, 'network.address': '192.168.1.0', 'network.gateway': '192.168.1.1' })),
    { 'network.address': 'IP address 192.168.1.0 is the network or broadcast address of /24' },
  );
  assert.ok(validatePatch({ 'network.staticEnabled': true, 'network.address': '10.1.2.3', 'network.prefix': 8, 'network.gateway': '10.0.0.1' }).ok);
  assert.ok(validatePatch({ 'network.address': '10.1.2.3' }).ok, 'static off: no requirement');
});

test('DDNS: each provider asks for its own credentials', () => {
  assert.deepEqual(errorsOf(validatePatch({ 'ddns.enabled': true, 'ddns.provider': 'dyndns2' })), {
    'ddns.host': 'Host name is required for dyndns2',
    'ddns.server': 'Update server is required for dyndns2',
    'ddns.username': 'User name is required for dyndns2',
    'ddns.password': 'Password is required for dyndns2',
  });
  assert.deepEqual(errorsOf(validatePatch({ 'ddns.enabled': true, 'ddns.provider': 'duckdns', 'ddns.host': 'box.example.org', 'ddns.token': 't' })), {
    'ddns.host': 'Host name must end in .duckdns.org for DuckDNS',
  });
  assert.deepEqual(
    errorsOf(validatePatch({ 'ddns.enabled': true, 'ddns.provider': 'cloudflare', 'ddns.host': 'box.other.org', 'ddns.zone': 'example.org', 'ddns.token': 't' })),
    { 'ddns.host': 'Host name must be inside the zone example.org' },
  );
  assert.ok(validatePatch({
    'ddns.enabled': true, 'ddns.provider': 'dyndns2', 'ddns.server': '127.0.0.1:8245', 'ddns.host': 'box.example.org', 'ddns.username': 'u', 'ddns.password': 'p',
  }).ok);
  // Rules see the current settings: the password stored earlier satisfies the requirement.
  const current: FlatSettings = mergePatch(defaultSettings(), { 'ddns.password': 'stored', 'ddns.username': 'u', 'ddns.server': 'members.dyndns.org', 'ddns.host': 'a.example.org' });
  assert.ok(validatePatch({ 'ddns.enabled': true, 'ddns.provider': 'dyndns2' }, current).ok);
});

test('mix: per musician, bounded values, "__proto__" stays a plain name', () => {
  const r = validatePatch({ 'client.mix': JSON.parse('{"__proto__":{"fader":10},"bob":{"pan":0,"solo":true}}') });
  assert.ok(r.ok);
  const mixValue = r.patch['client.mix'] ?? {};
  assert.deepEqual(Object.keys(mixValue), ['__proto__', 'bob']);
  assert.deepEqual(mixValue.bob, { fader: 100, pan: 0, mute: false, solo: true });
  assert.deepEqual(errorsOf(validatePatch({ 'client.mix': { al: { fader: 101 } } })), { 'client.mix': 'Fader for "al" must be between 0 and 100' });
  assert.deepEqual(errorsOf(validatePatch({ 'client.mix': { al: { volume: 1 } } })), { 'client.mix': 'Mix for "al" has unknown field volume' });
});

test('secrets are flagged, redacted, and reported as set without their values', () => {
  assert.deepEqual([...SECRET_KEYS].sort(), ['ddns.password', 'ddns.token']);
  const s = mergePatch(defaultSettings(), { 'ddns.password': 'hunter2' });
  assert.equal(redactSecrets(s)['ddns.password'], '');
  assert.equal(secretsSet(s)['ddns.password'], true);
  assert.equal(secretsSet(s)['ddns.token'], false);
  assert.ok(!JSON.stringify(redactSecrets(s)).includes('hunter2'));
});

test('nested view and reload targets', () => {
  const n = toNested(defaultSettings());
  assert.equal(n.server.port, 22124);
  assert.equal(n.server.mode, 'private');
  assert.equal(n.client.server, '127.0.0.1');
  assert.equal(n.network.revertSeconds, 120);
  assert.deepEqual([...reloadTargets(['server.port'])].sort(), ['client', 'server'], 'the local client follows the server port');
  assert.deepEqual([...reloadTargets(['server.name', 'client.mix', 'ddns.token'])].sort(), ['client', 'ddns', 'server']);
  assert.deepEqual([...reloadTargets(['system.language'])], []);
});
