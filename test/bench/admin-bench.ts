// `npm run bench:admin`: page weight and response time of every admin page on this machine, with
// the real server and client running (their JSON-RPC answers are part of what a page costs).
// Targets: < 50 kB per page (HTML plus the CSS and htmx it loads, uncompressed and gzip), p95 < 20 ms.
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ProcessGroup } from '../harness/processes.js';
import { AdminHttp } from '../browser/admin-http.js';
import { startBox } from '../browser/rig.js';
import { readClaimCode } from '../browser/admin-instance.js';
import { PUBLIC_DIR } from '../../webadmin/src/render.js';

const PAGES = ['/', '/status/live', '/server', '/client', '/client/meters', '/network', '/ddns', '/system', '/login'];
const WARMUP = 5;
const RUNS = 60;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const g = new ProcessGroup('admin-bench');
  try {
    const box = await startBox(g);
    const web = new AdminHttp(box.adminUrl);
    await web.setup('bench-password', readClaimCode(box.root));
    const css = readFileSync(`${PUBLIC_DIR}/admin.css`);
    const htmx = readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));
    // What a phone downloads: the CSS as is, htmx as the pre-gzipped file the admin serves.
    const assets = css.length + gzipSync(htmx).length;
    console.log(`static assets (loaded once, then cached a day): admin.css ${css.length} B, htmx.min.js ${htmx.length} B (served gzipped: ${gzipSync(htmx).length} B)`);
    console.log('page             HTML B   gzip B  weight kB  p50 ms  p95 ms  max ms   (weight = HTML + CSS + gzipped htmx, first visit)');
    for (const path of PAGES) {
      const client = path === '/login' ? new AdminHttp(box.adminUrl) : web;
      const fragment = path === '/status/live' || path === '/client/meters';
      const headers = fragment ? { 'HX-Request': 'true' } : undefined;
      let size = 0;
      let gz = 0;
      const times: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const t0 = performance.now();
        const r = await client.get(path, headers);
        const dt = performance.now() - t0;
        if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
        if (i >= WARMUP) times.push(dt);
        size = Buffer.byteLength(r.text);
        gz = gzipSync(r.text).length;
      }
      times.sort((a, b) => a - b);
      const total = fragment ? size : size + assets;
      console.log(
        `${path.padEnd(16)} ${String(size).padStart(6)}  ${String(gz).padStart(7)}  ${(total / 1024).toFixed(1).padStart(9)}  ${pct(times, 50).toFixed(1).padStart(6)}  ${pct(times, 95).toFixed(1).padStart(6)}  ${times[times.length - 1]!.toFixed(1).padStart(6)}`,
      );
    }
  } finally {
    await g.stopAll();
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
