// Runs on the booted image: opens every SQLite database riffbox keeps (under /var/lib/riffbox*)
// with the app's own better-sqlite3, read-only, and prints each one's integrity check and schema
// version. After a power cut, each must read "ok".
//   DB <path> integrity=<ok|…> user_version=<n>
const fs = require('node:fs');
const path = require('node:path');
const Database = require('/opt/riffbox/node_modules/better-sqlite3');
for (const dir of fs.readdirSync('/var/lib').filter((d) => d.startsWith('riffbox')).map((d) => path.join('/var/lib', d))) {
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.db'))) {
    const p = path.join(dir, f);
    try {
      // Not read-only: a WAL left by the cut is recovered by the first connection, as the services' would.
      const db = new Database(p);
      const integrity = db.pragma('integrity_check', { simple: true });
      const version = db.pragma('user_version', { simple: true });
      db.close();
      console.log(`DB ${p} integrity=${integrity} user_version=${version}`);
    } catch (e) {
      console.log(`DB ${p} integrity=error:${e.message}`);
    }
  }
}
