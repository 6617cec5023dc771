// `riffbox status [--db FILE] [--json] [--wait SECONDS]`: what the admin's Status page sees, for an owner
// with a shell (`sudo riffbox status` on the box) or a monitoring script. Exit status 0 when the server and
// the client both answer, 1 when either cannot be reached, 2 for a bad command line. It waits longer for a
// busy service than the admin does (a phone's page must not hang; a script wants the true answer).
import { boxStatus, formatBoxStatus } from './control/box-status.js';
import { ServiceLink } from './control/service-link.js';
import { controlSocketPath, resolveSecretFile } from './service-paths.js';
import { DEFAULT_DB_PATH } from './settings/cli-overrides.js';

const USAGE = 'usage: riffbox status [--db FILE] [--json] [--wait SECONDS]   (default database: ' + DEFAULT_DB_PATH + '; --wait: how long a busy service may take to answer, default 5)';
const DEFAULT_WAIT_S = 5;

export async function runStatus(argv: readonly string[]): Promise<number> {
  let db = DEFAULT_DB_PATH;
  let json = false;
  let waitS = DEFAULT_WAIT_S;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--db' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) db = argv[++i]!;
    else if (a === '--json') json = true;
    else if (a === '--wait' && argv[i + 1] !== undefined && Number(argv[i + 1]) > 0 && Number(argv[i + 1]) <= 600) waitS = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`riffbox status: ${a === '--db' ? '--db needs a value' : a === '--wait' ? '--wait needs a number of seconds (over 0, at most 600)' : `unknown option ${a}`}\n${USAGE}`);
      return 2;
    }
  }
  const secret = resolveSecretFile(undefined, db);
  const patience = { connectTimeoutMs: waitS * 1000, callTimeoutMs: waitS * 1000 };
  const links = {
    server: new ServiceLink('server', controlSocketPath(db, 'server'), secret, patience),
    client: new ServiceLink('client', controlSocketPath(db, 'client'), secret, patience),
  };
  try {
    const s = await boxStatus(links);
    console.log(json ? JSON.stringify(s, null, 2) : formatBoxStatus(s));
    return s.healthy ? 0 : 1;
  } finally {
    links.server.close();
    links.client.close();
  }
}
