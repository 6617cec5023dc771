#!/usr/bin/env node
// Lists node_modules paths (relative to the repo) from package-lock.json, so the image gets
// exactly what `npm ci` would install without touching the network:
//   node image/lib/npm-closure.mjs --prod           every package `npm ci --omit=dev` installs
//   node image/lib/npm-closure.mjs NAME [NAME...]   those packages and everything they require
// Paths that the lockfile names but node_modules lacks (optional, other platforms) are left out.
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
const packages = lock.packages ?? {};
const present = (p) => existsSync(join(repo, p, 'package.json'));

function prodSet() {
  return Object.entries(packages)
    .filter(([p, meta]) => p.startsWith('node_modules/') && !meta.dev && !meta.devOptional && !meta.link)
    .map(([p]) => p);
}

// npm's resolution: the nearest node_modules/NAME walking up from the requiring package.
function resolve(name, from) {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

function closure(roots) {
  const seen = new Set();
  const queue = roots.map((name) => {
    const p = resolve(name, '');
    if (!p) throw new Error(`npm-closure: ${name} is not in package-lock.json`);
    return p;
  });
  while (queue.length) {
    const p = queue.shift();
    if (seen.has(p)) continue;
    seen.add(p);
    const meta = packages[p];
    const deps = { ...meta.dependencies, ...meta.optionalDependencies };
    for (const name of Object.keys(deps)) {
      const dep = resolve(name, p);
      if (dep) queue.push(dep);
    }
  }
  return [...seen];
}

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error('usage: npm-closure.mjs --prod | NAME...');
  process.exit(2);
}
const list = args[0] === '--prod' ? prodSet() : closure(args);
for (const p of list.filter(present).sort()) console.log(p);
