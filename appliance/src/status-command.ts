// `riffbox status [--db FILE] [--json]`: what the admin's Status page sees, for an owner with a shell
// (`sudo riffbox status` on the box) or a monitoring script. Exit status 0 when the server and the
// client both answer, 1 when either cannot be reached, 2 for a bad command line.
import { boxStatus, formatBoxStatus } from './control/box-status.js';
import { ServiceLink } from './control/service-link.js';
import { controlSocketPath, resolveSecretFile } from './service-paths.js';
import { DEFAULT_DB_PATH } from './settings/cli-overrides.js';

const USAGE = 'usage: riffbox status [--db FILE] [--json]   (default database: ' + DEFAULT_DB_PATH + ')';

export async function runStatus(argv: readonly string[]): Promise<number> {
  let db = DEFAULT_DB_PATH;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--db' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) db = argv[++i]!;
    else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`riffbox status: ${a === '--db' ? '--db needs a value' : `unknown option ${a}`}\n${USAGE}`);
      return 2;
    }
  }
  const secret = resolveSecretFile(undefined, db);
  const links = {
    server: new ServiceLink('server', controlSocketPath(db, 'server'), secret),
    client: new ServiceLink('client', controlSocketPath(db, 'client'), secret),
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
