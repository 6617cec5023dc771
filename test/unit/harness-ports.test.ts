import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { freeUdpPort, freeTcpPort, uniqueName, randomSecret } from '../harness/ports.js';

test('freeUdpPort returns distinct bindable ports', async () => {
  const a = await freeUdpPort();
  const b = await freeUdpPort(1);
  assert.notEqual(a, b);
  assert.notEqual(a, b + 1);
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(b + 1, '127.0.0.1', () => resolve());
  });
  s.close();
});

test('freeTcpPort and freeUdpPort never hand out the same port twice', async () => {
  const seen = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const t = await freeTcpPort();
    const u = await freeUdpPort();
    assert.ok(!seen.has(t) && !seen.has(u));
    seen.add(t);
    seen.add(u);
  }
});

test('uniqueName is unique and safe for jackd', () => {
  const a = uniqueName('jack-a');
  const b = uniqueName('jack-a');
  assert.notEqual(a, b);
  assert.match(a, /^jack_a_\d+_\d+_[0-9a-f]{6}$/);
  assert.ok(randomSecret().length >= 16);
});
