#!/usr/bin/env node
// Builds appliance/native/build/Release/riffbox_native.node (Opus custom codec, tick timer,
// ALSA PCM) with node-gyp and node-addon-api. Run by scripts/setup.sh on every setup, so it
// returns at once when nothing changed (a stamp over the sources, binding.gyp, this script,
// the opus choice and the Node ABI).
//
// Which opus (env RIFFBOX_OPUS):
//   bundled (default)  compile the CELT layer of the opus 1.3.1 tree carried by the npm tarball
//                      @discordjs/opus@0.10.0, with CUSTOM_MODES and without assertions or
//                      hardening. The tarball is fetched with `npm pack` into
//                      appliance/native/vendor/ (gitignored) and checked against a pinned
//                      sha512; the package itself is never installed (its install script would
//                      download binaries).
//   system             link pkg-config's libopus; refused where custom modes are known broken:
//                      below 1.3.2 (Debian 12's hardened 1.3.1 aborts decoding 128-sample
//                      frames) and 1.5.0-1.5.2 (Debian 13: opus_custom_encode dereferences a
//                      NULL range coder once a bitrate is set, xiph/opus#374, and the custom
//                      decoder's packet-loss path dereferences a NULL deep-PLC state; both
//                      segfault on the first frame, seen under QEMU on the arm64 image).
//                      The Pi image therefore uses the bundled copy too: the codec it ships is
//                      the one the test suite runs.
// Needs: make, g++, python3, libasound2-dev, and node headers (npm's nodedir, else beside node).
// Usage: node scripts/build-native.mjs [--force]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'appliance', 'native');
const vendorDir = join(nativeDir, 'vendor');
const opusDir = join(vendorDir, 'opus');
const addonPath = join(nativeDir, 'build', 'Release', 'riffbox_native.node');
const stampPath = join(nativeDir, 'build', 'riffbox.stamp');

const OPUS_TARBALL_SPEC = '@discordjs/opus@0.10.0';
const OPUS_TARBALL_FILE = 'discordjs-opus-0.10.0.tgz';
const OPUS_TARBALL_INTEGRITY =
  'sha512-HHEnSNrSPmFEyndRdQBJN2YE6egyXS9JUnJWyP6jficK0Y+qKMEZXyYTgmzpjrxXP1exM/hKaNP7BRBUEWkU5w==';
const MIN_SYSTEM_OPUS = [1, 3, 2];
/** System opus releases whose custom-mode encoder or decoder crash (see the header). */
const BROKEN_SYSTEM_OPUS = /^1\.5\.[012]$/;

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
}

function integrityOf(file) {
  return 'sha512-' + createHash('sha512').update(readFileSync(file)).digest('base64');
}

function ensureBundledOpus() {
  if (existsSync(join(opusDir, 'celt', 'celt_decoder.c')) && existsSync(join(opusDir, '.riffbox-integrity'))) {
    if (readFileSync(join(opusDir, '.riffbox-integrity'), 'utf8').trim() === OPUS_TARBALL_INTEGRITY) return;
  }
  mkdirSync(vendorDir, { recursive: true });
  const tarball = join(vendorDir, OPUS_TARBALL_FILE);
  if (!existsSync(tarball) || integrityOf(tarball) !== OPUS_TARBALL_INTEGRITY) {
    console.log(`build-native: fetching ${OPUS_TARBALL_SPEC} (source tarball only, not installed)`);
    rmSync(tarball, { force: true });
    run('npm', ['pack', OPUS_TARBALL_SPEC, '--pack-destination', vendorDir, '--silent', '--ignore-scripts'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  if (!existsSync(tarball)) fail(`npm pack did not produce ${relative(root, tarball)}`);
  const got = integrityOf(tarball);
  if (got !== OPUS_TARBALL_INTEGRITY) {
    rmSync(tarball, { force: true });
    fail(`${OPUS_TARBALL_FILE} integrity mismatch: expected ${OPUS_TARBALL_INTEGRITY}, got ${got}`);
  }
  const staging = join(vendorDir, 'extract.tmp');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  run('tar', ['-xzf', tarball, '-C', staging, 'package/deps/opus']);
  const version = readFileSync(join(staging, 'package/deps/opus/package_version'), 'utf8');
  if (!version.includes('"1.3.1"')) fail(`unexpected opus version in tarball: ${version.trim()}`);
  rmSync(opusDir, { recursive: true, force: true });
  renameSync(join(staging, 'package/deps/opus'), opusDir);
  rmSync(staging, { recursive: true, force: true });
  writeFileSync(join(opusDir, '.riffbox-integrity'), OPUS_TARBALL_INTEGRITY + '\n');
}

function checkSystemOpus() {
  let version;
  try {
    version = execFileSync('pkg-config', ['--modversion', 'opus'], { encoding: 'utf8' }).trim();
  } catch {
    fail('RIFFBOX_OPUS=system but pkg-config finds no opus (install libopus-dev)');
  }
  const parts = version.split('.').map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < MIN_SYSTEM_OPUS.length; i++) {
    const have = parts[i] ?? 0;
    const need = MIN_SYSTEM_OPUS[i];
    if (have > need) break;
    if (have < need) {
      fail(`system libopus ${version} is older than ${MIN_SYSTEM_OPUS.join('.')}: its hardening aborts ` +
        '128-sample custom frames; use the default RIFFBOX_OPUS=bundled');
    }
  }
  if (BROKEN_SYSTEM_OPUS.test(version)) {
    fail(`system libopus ${version} crashes in custom mode (encoder with a bitrate: xiph/opus#374; ` +
      'decoder packet-loss concealment: NULL deep-PLC state); use the default RIFFBOX_OPUS=bundled');
  }
  return version;
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  // Distribution node (Debian, NodeSource) ships its headers beside the binary; without this
  // node-gyp would try to download them, and these machines have no internet.
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined;
}

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

function stampFor(mode, opusVersion) {
  const h = createHash('sha256');
  h.update(`mode=${mode} opus=${opusVersion} abi=${process.versions.modules} napi=${process.versions.napi} arch=${process.arch}\n`);
  for (const file of [join(nativeDir, 'binding.gyp'), fileURLToPath(import.meta.url), ...listFiles(join(nativeDir, 'src'))]) {
    h.update(relative(root, file) + '\0');
    h.update(readFileSync(file));
  }
  return h.digest('hex');
}

const mode = process.env.RIFFBOX_OPUS || 'bundled';
if (mode !== 'bundled' && mode !== 'system') fail(`RIFFBOX_OPUS must be "bundled" or "system", not "${mode}"`);

let opusVersion;
if (mode === 'bundled') {
  ensureBundledOpus();
  opusVersion = 'bundled-1.3.1';
} else {
  opusVersion = checkSystemOpus();
}

const stamp = stampFor(mode, opusVersion);
const force = process.argv.includes('--force');
if (!force && existsSync(addonPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === stamp) {
  console.log(`build-native: up to date (${relative(root, addonPath)}, opus ${opusVersion})`);
  process.exit(0);
}

const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(gyp)) fail('node-gyp is not installed (run npm ci first)');
const common = [`--directory=${nativeDir}`, '--loglevel=warn'];
const dir = nodeDir();
if (dir) common.push(`--nodedir=${dir}`);
const env = { ...process.env, RIFFBOX_OPUS: mode };

console.log(`build-native: building with opus ${opusVersion}`);
rmSync(stampPath, { force: true });
// configure + build (not rebuild) so make only recompiles what changed, e.g. not all of opus.
run(process.execPath, [gyp, 'configure', ...common], { env, cwd: nativeDir });
run(process.execPath, [gyp, 'build', '--jobs=2', ...common], { env, cwd: nativeDir });
if (!existsSync(addonPath)) fail(`node-gyp finished but ${relative(root, addonPath)} is missing`);
writeFileSync(stampPath, stamp + '\n');
console.log(`build-native: built ${relative(root, addonPath)}`);
