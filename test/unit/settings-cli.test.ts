import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServiceArgs, applyOverrides, usage, CliUsageError } from '../../appliance/src/settings/cli-overrides.js';
import { defaultSettings, SETTING_KEYS, cliFlag } from '../../appliance/src/settings/schema.js';
import { mergePatch } from '../../appliance/src/settings/validate.js';

function cliError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CliUsageError);
    assert.equal(e.exitCode, 2);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.message;
  }
  assert.fail('expected a CliUsageError');
}

test('server flags of issue 3, Jamulus style', () => {
  const r = parseServiceArgs('server', [
    '--mode', 'public', '--directory', 'dir.example.org:22224', '--server-info', 'My Box;Paris;fr', '--public-ip', '203.0.113.7',
    '--port=22120', '--max-clients', '20', '--fast-update', '--welcome', 'Hello <b>all</b>', '--db', '/tmp/x.db',
    '--jsonrpc-port', '22300', '--jsonrpc-secret-file', '/tmp/secret',
  ]);
  assert.deepEqual(r.overrides, {
    'server.mode': 'public', 'server.directory': 'dir.example.org:22224', 'server.name': 'My Box', 'server.city': 'Paris',
    'server.country': 74, 'server.publicIp': '203.0.113.7', 'server.port': 22120, 'server.maxClients': 20,
    'server.fastUpdate': true, 'server.welcome': 'Hello <b>all</b>', 'server.jsonrpcPort': 22300,
  });
  assert.equal(r.db, '/tmp/x.db');
  assert.equal(r.jsonrpcSecretFile, '/tmp/secret');
  assert.equal(r.help, false);
  assert.equal(parseServiceArgs('server', ['--server-info', 'A;B;82']).overrides['server.country'], 82);
  assert.equal(parseServiceArgs('server', ['--server-info', 'A;B;']).overrides['server.country'], 0);
  assert.equal(parseServiceArgs('server', ['--no-fast-update']).overrides['server.fastUpdate'], false);
  assert.equal(parseServiceArgs('server', ['--fast-update=false']).overrides['server.fastUpdate'], false);
});

test('client and admin flags', () => {
  assert.deepEqual(
    parseServiceArgs('client', ['--server', 'jam.example.org:22124', '--device', 'hw:CARD=USB,DEV=0', '--name', 'Ann', '--frames', '64', '--quality', 'high', '--channels', 'mono-stereo']).overrides,
    {
      'client.server': 'jam.example.org:22124', 'client.device': 'hw:CARD=USB,DEV=0', 'client.name': 'Ann', 'client.frames': 64,
      'client.quality': 'high', 'client.channels': 'mono-stereo',
    },
  );
  assert.deepEqual(parseServiceArgs('admin', ['--port', '80', '--bind', '127.0.0.1']).overrides, { 'admin.port': 80, 'admin.bind': '127.0.0.1' });
  // --port means a different setting per service.
  assert.deepEqual(parseServiceArgs('server', ['--port', '22125']).overrides, { 'server.port': 22125 });
});

test('bad flags: one line naming the flag', () => {
  assert.equal(cliError(() => parseServiceArgs('server', ['--port', '80'])), '--port: Port must be between 1024 and 65535');
  assert.equal(
    cliError(() => parseServiceArgs('server', ['--port', '70000', '--name', 'x'.repeat(200)])),
    '--port: Port must be between 1024 and 65535; --name: Server name must be at most 20 characters',
  );
  assert.equal(
    cliError(() => parseServiceArgs('server', ['--server-info', 'a;b;ZZ'])),
    '--server-info: Country: Unknown country "ZZ": not an ISO 3166-1 two-letter code riffbox knows',
  );
  assert.equal(cliError(() => parseServiceArgs('server', ['--server-info', 'a;b'])), '--server-info must be "NAME;CITY;CC", got 2 parts');
  assert.equal(cliError(() => parseServiceArgs('server', ['--bogus'])), 'unknown option --bogus for riffbox server (see --help)');
  assert.equal(cliError(() => parseServiceArgs('client', ['--mode', 'public'])), 'unknown option --mode for riffbox client (see --help)');
  assert.equal(cliError(() => parseServiceArgs('server', ['--port'])), '--port needs a value');
  assert.equal(cliError(() => parseServiceArgs('server', ['--port', '--mode', 'public'])), '--port needs a value');
  assert.equal(cliError(() => parseServiceArgs('server', ['stray'])), 'unexpected argument "stray"');
  assert.equal(cliError(() => parseServiceArgs('client', ['--frames', '256'])), '--frames: Frames must be one of: 64, 128');
  assert.equal(cliError(() => parseServiceArgs('server', ['--no-port'])), 'unknown option --no-port for riffbox server (see --help)');
});

test('flags override the stored settings without touching them', () => {
  const stored = mergePatch(defaultSettings(), { 'server.port': 22200, 'server.name': 'stored' });
  const { overrides } = parseServiceArgs('server', ['--port', '22300'], stored);
  const effective = applyOverrides(stored, overrides);
  assert.equal(effective['server.port'], 22300);
  assert.equal(effective['server.name'], 'stored');
  assert.equal(stored['server.port'], 22200);
});

test('help lists every flag the schema declares for the service', () => {
  for (const service of ['server', 'client', 'admin'] as const) {
    const text = usage(service);
    for (const k of SETTING_KEYS) {
      const f = cliFlag(k, service);
      if (f) assert.match(text, new RegExp(`--${f}\\b`), `${service} --${f}`);
    }
    assert.match(text, /--db FILE/);
  }
  assert.match(usage('server'), /--server-info NAME;CITY;CC/);
  assert.ok(parseServiceArgs('client', ['--help']).help);
});

test('recording flags as Jamulus has them: --recording DIR records, --norecord waits to be started', () => {
  const on = parseServiceArgs('server', ['--recording', '/srv/rec']).overrides;
  assert.deepEqual(on, { 'server.recordingDir': '/srv/rec', 'server.recordingEnabled': true });
  const waiting = parseServiceArgs('server', ['--recording', '/srv/rec', '--norecord']).overrides;
  assert.deepEqual(waiting, { 'server.recordingDir': '/srv/rec', 'server.recordingEnabled': false });
  assert.deepEqual(parseServiceArgs('server', ['--norecord']).overrides, { 'server.recordingEnabled': false });
  assert.deepEqual(parseServiceArgs('server', ['--recording-reserve-mb', '200', '--recording-max-minutes', '90', '--recording-bits', '24', '--recording-buffer-mb', '32']).overrides, {
    'server.recordingReserveMb': 200, 'server.recordingMaxMinutes': 90, 'server.recordingBits': 24, 'server.recordingBufferMb': 32,
  });
  assert.match(cliError(() => parseServiceArgs('server', ['--recording-max-minutes', '300'])), /--recording-max-minutes: Longest session must be between 1 and 240 minutes/);
  assert.match(cliError(() => parseServiceArgs('server', ['--recording-buffer-mb', '5'])), /--recording-buffer-mb: .*4, 8, 16, 32, 64/);
  assert.match(cliError(() => parseServiceArgs('client', ['--norecord'])), /unknown option --norecord for riffbox client/);
  const help = usage('server');
  assert.match(help, /--recording TEXT +where sessions are recorded \(Jamulus -R\)/);
  assert.match(help, /--norecord +do not record until recording is started/);
});
