// Small facts of the client: server addresses, version comparison, the declared audio format.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerAddress, resolveServerHost, effectiveServerAddress } from '../../appliance/src/client/server-address.js';
import { versionAtLeast, SEQUENCE_SINCE, PAN_SINCE } from '../../appliance/src/client/client-facts.js';
import { clientFormat } from '../../appliance/src/client/client-stream.js';
import { CODEC } from '../../appliance/src/protocol/index.js';

describe('server address', () => {
  test('host[:port] with Jamulus default port 22124', () => {
    assert.deepEqual(parseServerAddress('127.0.0.1'), { host: '127.0.0.1', port: 22124, label: '127.0.0.1:22124' });
    assert.deepEqual(parseServerAddress(' jam.example.org:22200 '), { host: 'jam.example.org', port: 22200, label: 'jam.example.org:22200' });
    assert.throws(() => parseServerAddress('a:b:c'), { name: 'TypeError', message: 'server must be host[:port], got "a:b:c"' });
    assert.throws(() => parseServerAddress('host:70000'), TypeError);
  });

  test('names resolve to IPv4; IPv6 literals are refused', async () => {
    assert.equal(await resolveServerHost('localhost'), '127.0.0.1');
    assert.equal(await resolveServerHost('10.1.2.3'), '10.1.2.3');
    await assert.rejects(resolveServerHost('::1'), /IPv6 server addresses are not supported/);
  });
});

describe('version comparison (Qt leading numeric components)', () => {
  test('sequence numbers from 3.6.0, pan from 3.5.4', () => {
    assert.equal(versionAtLeast('3.9.1', SEQUENCE_SINCE), true);
    assert.equal(versionAtLeast('3.6.0', SEQUENCE_SINCE), true);
    assert.equal(versionAtLeast('3.5.12', SEQUENCE_SINCE), false);
    assert.equal(versionAtLeast('4.0.0beta2', SEQUENCE_SINCE), true);
    assert.equal(versionAtLeast('3.5.4', PAN_SINCE), true);
    assert.equal(versionAtLeast('3.5.3dev-abc', PAN_SINCE), false);
    assert.equal(versionAtLeast('garbage', PAN_SINCE), false);
    assert.equal(versionAtLeast('4', SEQUENCE_SINCE), true);
  });
});

describe('declared format', () => {
  test('OPUS64 for 64, OPUS for 128; mono-in/stereo-out sends stereo; sizes from the quality table', () => {
    assert.deepEqual(clientFormat(64, 'mono', 'normal', false), { codec: CODEC.OPUS64, frameSamples: 64, channels: 1, codedBytes: 22, factor: 1, sequence: false });
    assert.deepEqual(clientFormat(128, 'mono-stereo', 'high', true), { codec: CODEC.OPUS, frameSamples: 128, channels: 2, codedBytes: 165, factor: 1, sequence: true });
    assert.equal(clientFormat(128, 'stereo', 'low', false).codedBytes, 47);
  });
});

test("the box's own server ('127.0.0.1' or 'localhost' without a port) follows the server's port; anything else is kept", () => {
  assert.equal(effectiveServerAddress('127.0.0.1', 22120), '127.0.0.1:22120');
  assert.equal(effectiveServerAddress('localhost', 23000), 'localhost:23000');
  assert.equal(effectiveServerAddress('127.0.0.1:22124', 22120), '127.0.0.1:22124');
  assert.equal(effectiveServerAddress('jam.example.org', 22120), 'jam.example.org');
  assert.equal(effectiveServerAddress('192.168.1.20', 22120), '192.168.1.20');
});
