// Setup's package lists against the real indexes of both supported Debian releases: every name in
// scripts/packages.txt that setup would ask for on bookworm or trixie must exist there and install
// (apt-get install --simulate, with an empty dpkg status: a machine that has nothing yet). This is
// what a developer's machine cannot show: it already has the packages. The full install into
// pristine roots is scripts/pristine-setup (README, "Setup on a pristine machine").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CACHE = join(REPO, 'var', 'apt-sim');
const MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const RELEASES = ['bookworm', 'trixie'] as const;
/** Indexes older than this are fetched again; within it, reruns need no network. */
const INDEX_MAX_AGE_MS = 24 * 3600 * 1000;

function packagesFor(group: string, release: string): string[] {
  const out = execFileSync('bash', ['-c', `. scripts/packages.sh && packages_for ${group} ${release}`], { cwd: REPO, encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

/** apt with its own state, cache and sources: nothing of this machine's apt is read or written. */
function apt(release: string): (args: string[]) => { code: number | null; out: string } {
  const dir = join(CACHE, release);
  for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(dir, d), { recursive: true });
  const status = join(dir, 'status');
  if (!existsSync(status)) writeFileSync(status, '');
  const sources = join(dir, 'sources.list');
  writeFileSync(sources, [
    `deb [signed-by=${KEYRING}] ${MIRROR} ${release} main`,
    `deb [signed-by=${KEYRING}] ${MIRROR} ${release}-updates main`,
    `deb [signed-by=${KEYRING}] http://deb.debian.org/debian-security ${release}-security main`,
    '',
  ].join('\n'));
  const opts = [
    '-o', `Dir::State=${dir}`, '-o', `Dir::State::Lists=${join(dir, 'lists')}`, '-o', `Dir::State::status=${status}`,
    '-o', `Dir::Cache=${join(dir, 'cache')}`, '-o', `Dir::Etc::SourceList=${sources}`, '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', 'Dir::Etc::Preferences=/dev/null', '-o', 'Dir::Etc::PreferencesParts=/dev/null', '-o', 'Debug::NoLocking=1',
    '-o', 'APT::Get::List-Cleanup=0', '-o', 'Acquire::Retries=3',
  ];
  return (args) => {
    const r = spawnSync('apt-get', [...opts, ...args], { encoding: 'utf8', timeout: 10 * 60 * 1000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
}

function fresh(release: string): boolean {
  const stamp = join(CACHE, release, 'updated');
  return existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < INDEX_MAX_AGE_MS;
}

for (const release of RELEASES) {
  test(`${release}: every package setup installs for run, test and image exists and installs on a bare system`, { timeout: 15 * 60 * 1000 }, () => {
    const run = apt(release);
    if (!fresh(release)) {
      const u = run(['update', '-q']);
      assert.equal(u.code, 0, `apt-get update for ${release} failed (is ${MIRROR} reachable?):\n${u.out.slice(-2000)}`);
      writeFileSync(join(CACHE, release, 'updated'), new Date().toISOString());
    }
    for (const group of ['test', 'image', 'run']) {
      const pkgs = [...new Set([...packagesFor('run', release), ...packagesFor(group, release)])];
      const r = run(['install', '--simulate', '--no-install-recommends', '-q', ...pkgs]);
      assert.equal(r.code, 0, `${release}, setup.sh ${group}: apt-get install --simulate ${pkgs.join(' ')}\n${r.out.slice(-3000)}`);
      const installs = r.out.split('\n').filter((l) => l.startsWith('Inst ')).length;
      for (const p of pkgs) assert.match(r.out, new RegExp(`^Inst ${p.replace(/[+.]/g, '\\$&')} `, 'm'), `${release}: ${p} is not installed by the simulation`);
      console.log(`${release} setup.sh ${group}: ${pkgs.length} named packages, ${installs} to install from nothing`);
    }
  });
}

test('a package only one release has is never asked for on the other', () => {
  assert.ok(packagesFor('test', 'trixie').includes('jack-example-tools'));
  assert.ok(!packagesFor('test', 'bookworm').includes('jack-example-tools'), 'bookworm has no jack-example-tools: apt-get would exit 100');
});
