// Fast checks on the image sources, part of the default suite: every systemd unit of the
// overlay passes `systemd-analyze verify`, every shell script under image/, pi-gen-config/ and
// overlays/ passes shellcheck, the pi-gen stage follows pi-gen's conventions, and (when an image
// has been built) the inspection of deploy/riffbox-offline.img from test/image/inspect.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const overlay = join(repo, 'overlays', 'rootfs');
const stage = join(repo, 'pi-gen-config', 'stage-riffbox');

function walk(dir: string, skipDirs: string[] = []): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!skipDirs.includes(p)) out.push(...walk(p, skipDirs));
    } else out.push(p);
  }
  return out;
}

function unitFiles(): string[] {
  return walk(overlay).filter((p) => /\/systemd\/system\/[^/]+\.(service|socket|timer|path|target|mount)$/.test(p));
}

/** systemd-analyze verify inside a throwaway root: the overlay plus the host's own units. */
function verifyUnits(files: { name: string; text?: string }[]): Map<string, string> {
  const root = mkdtempSync(join(tmpdir(), 'riffbox-verify-'));
  try {
    cpSync(overlay, root, { recursive: true });
    for (const dir of ['/usr/lib/systemd/system', '/lib/systemd/system']) {
      if (existsSync(dir)) {
        cpSync(dir, join(root, 'usr/lib/systemd/system'), { recursive: true, dereference: false });
        break;
      }
    }
    const results = new Map<string, string>();
    for (const f of files) {
      const path = join(root, 'etc/systemd/system', f.name);
      if (f.text !== undefined) writeFileSync(path, f.text);
      const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, path], { encoding: 'utf8' });
      if (r.error) throw r.error;
      const complaints = `${r.stdout}${r.stderr}`.trim();
      results.set(f.name, r.status === 0 ? complaints : `exit ${r.status}: ${complaints}`);
    }
    return results;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the overlay ships the units the image enables', () => {
  const names = unitFiles().map((p) => p.split('/').pop());
  for (const unit of ['riffbox-firstboot.service', 'riffbox-bootconfig.service', 'riffbox-server.service', 'riffbox-client.service',
    'riffbox-admin.service', 'riffbox-apply@.service', 'riffbox-governor.service']) {
    assert.ok(names.includes(unit), `${unit} in overlays/rootfs`);
  }
});

test('every overlay unit passes systemd-analyze verify with no warnings', () => {
  const files = unitFiles().map((p) => ({ name: p.split('/').pop()! }));
  const results = verifyUnits(files);
  for (const [name, complaints] of results) assert.equal(complaints, '', `${name}: ${complaints}`);
});

test('verify catches a broken unit (the check is not vacuous)', () => {
  const server = readFileSync(join(overlay, 'etc/systemd/system/riffbox-server.service'), 'utf8');
  const broken = server.replace('ProtectSystem=strict', 'ProtectSytem=strict').replace('/usr/local/bin/riffbox', '/usr/local/bin/riffbox-missing');
  const complaints = verifyUnits([{ name: 'zz-broken.service', text: broken }]).get('zz-broken.service') ?? '';
  assert.match(complaints, /ProtectSytem/);
  assert.match(complaints, /riffbox-missing/);
});

test('real-time scheduling only for the two audio units; the admin runs without privileges', () => {
  const unit = (n: string) => readFileSync(join(overlay, 'etc/systemd/system', n), 'utf8');
  for (const n of ['riffbox-server.service', 'riffbox-client.service']) {
    assert.match(unit(n), /^CPUSchedulingPolicy=fifo$/m, n);
    assert.match(unit(n), /^LimitRTPRIO=\d+$/m, n);
    assert.match(unit(n), /^NoNewPrivileges=yes$/m, n);
    assert.match(unit(n), /^Restart=on-failure$/m, n);
  }
  const admin = unit('riffbox-admin.service');
  assert.doesNotMatch(admin, /^CPUScheduling/m);
  assert.match(admin, /^NoNewPrivileges=yes$/m);
  assert.match(admin, /^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  assert.match(admin, /^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
  assert.match(admin, /^Restart=on-failure$/m);
});

// Every unit that writes settings.db (or its -wal/-shm) leaves it writable by the group both
// users share, and every unit naming /var/lib/riffbox as its StateDirectory agrees on the mode:
// systemd sets that mode at each start, so two modes would fight.
test('the services and the admin share settings.db through group riffbox', () => {
  const unit = (n: string) => readFileSync(join(overlay, 'etc/systemd/system', n), 'utf8');
  for (const n of ['riffbox-firstboot.service', 'riffbox-server.service', 'riffbox-client.service', 'riffbox-admin.service']) {
    assert.match(unit(n), /^UMask=0007$/m, n);
    if (/^StateDirectory=riffbox$/m.test(unit(n))) assert.match(unit(n), /^StateDirectoryMode=0770$/m, n);
  }
  const tmpfiles = readFileSync(join(overlay, 'etc/tmpfiles.d/riffbox.conf'), 'utf8');
  assert.match(tmpfiles, /^d \/var\/lib\/riffbox 0770 riffbox riffbox -$/m);
  assert.match(tmpfiles, /^z \/var\/lib\/riffbox\/settings\.db\* 0660 riffbox riffbox -$/m, 'a box upgraded from 0640 files is fixed at boot');
});

function isShellScript(path: string): boolean {
  if (path.endsWith('.sh')) return true;
  const head = readFileSync(path, 'utf8').slice(0, 200);
  return /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba)?sh\b/.test(head) || /^# shellcheck shell=(ba)?sh/m.test(head);
}

test('every shell script under image/, pi-gen-config/, overlays/ and scripts/ passes shellcheck', () => {
  const scripts = [
    ...walk(join(repo, 'image'), [join(repo, 'image', 'work')]),
    ...walk(join(repo, 'pi-gen-config')),
    ...walk(join(repo, 'overlays')),
    ...walk(join(repo, 'scripts')),
  ].filter(isShellScript);
  // pi-gen's config is a sourced bash fragment without a shebang.
  const config = join(repo, 'pi-gen-config', 'config');
  if (!scripts.includes(config)) scripts.push(config);
  assert.ok(scripts.length >= 10, `found only ${scripts.length} scripts`);
  const r = spawnSync('shellcheck', ['--shell=bash', '-x', '-P', 'SCRIPTDIR', ...scripts.map((s) => relative(repo, s))], { cwd: repo, encoding: 'utf8' });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('stage-riffbox follows pi-gen conventions', () => {
  assert.ok(existsSync(join(stage, 'EXPORT_IMAGE')), 'EXPORT_IMAGE present');
  assert.ok(statSync(join(stage, 'prerun.sh')).mode & 0o100, 'prerun.sh executable');
  const subs = readdirSync(stage).filter((n) => statSync(join(stage, n)).isDirectory()).sort();
  assert.ok(subs.length >= 5, subs.join(' '));
  for (const sub of subs) {
    assert.match(sub, /^\d\d-[a-z-]+$/, `sub-stage name ${sub}`);
    const files = readdirSync(join(stage, sub)).filter((n) => n !== 'files');
    assert.ok(files.length > 0, `${sub} does something`);
    for (const f of files) {
      assert.match(f, /^\d\d-(packages|packages-nr|debconf|run\.sh|run-chroot\.sh)$|^SKIP$/, `${sub}/${f}`);
      // pi-gen silently skips a non-executable NN-run.sh.
      if (f.endsWith('-run.sh')) assert.ok(statSync(join(stage, sub, f)).mode & 0o100, `${sub}/${f} executable`);
    }
  }
  const config = readFileSync(join(repo, 'pi-gen-config', 'config'), 'utf8');
  for (const line of ['IMG_NAME=riffbox', 'RELEASE=trixie', 'TARGET_HOSTNAME=riffbox', 'ENABLE_SSH=0', 'DEPLOY_COMPRESSION=xz']) {
    assert.match(config, new RegExp(`^${line}$`, 'm'));
  }
  assert.match(config, /^STAGE_LIST="stage0 stage1 stage2 stage-riffbox"$/m);
  assert.doesNotMatch(config, /^FIRST_USER_PASS=/m, 'no default password');
});

// The image inspection belongs to the default suite too; it skips itself when no image exists.
await import('../image/inspect.test.js');
