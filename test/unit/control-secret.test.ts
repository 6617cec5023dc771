import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, statSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretFile, ensureSecretFile, readSecretFile, SecretFileError } from '../../appliance/src/control/secret.js';

const dir = mkdtempSync(join(tmpdir(), 'riffbox-secret-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('reads the first line, as Jamulus does', () => {
  const p = join(dir, 'a');
  writeFileSync(p, '0123456789abcdef-more\r\nsecond line\n');
  assert.equal(readSecretFile(p), '0123456789abcdef-more');
});

test('refuses a short secret or a missing file with a clear message', () => {
  const p = join(dir, 'short');
  writeFileSync(p, 'fifteen chars!!\nlong second line that does not count\n');
  assert.throws(() => readSecretFile(p), {
    name: 'SecretFileError',
    message: `JSON-RPC secret in ${p} is too short: the first line must be at least 16 characters (it has 15)`,
  });
  assert.throws(() => readSecretFile(join(dir, 'missing')), (e: unknown) => e instanceof SecretFileError && /ENOENT$/.test(e.message));
});

test('createSecretFile writes 0640 (owner and the admin\'s group) atomically and leaves no temp file', () => {
  const p = join(dir, 'created');
  const s = createSecretFile(p);
  assert.ok(s.length >= 32);
  assert.equal(statSync(p).mode & 0o777, 0o640);
  assert.equal(readSecretFile(p), s);
  const again = createSecretFile(p);
  assert.notEqual(again, s);
  assert.equal(readFileSync(p, 'utf8'), `${again}\n`);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
});

test('ensureSecretFile creates once, then keeps the secret', () => {
  const p = join(dir, 'ensured');
  const first = ensureSecretFile(p);
  assert.equal(ensureSecretFile(p), first);
  writeFileSync(p, 'short\n');
  assert.throws(() => ensureSecretFile(p), /too short/, 'a bad existing file is an error, not silently replaced');
});
