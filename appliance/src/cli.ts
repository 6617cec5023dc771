#!/usr/bin/env node
// `riffbox server | client | admin | all | init`: one entry point for the three services (each its own
// process in the image, so audio never shares an event loop with HTTP) and for first-boot setup.
import { runInit } from './init.js';

const USAGE = `usage: riffbox <command> [options]
  server   the Jamulus-compatible server (UDP)
  client   the headless local client on the ALSA device
  admin    the admin web page
  all      server, client and admin as three processes, for running from a checkout
  init     create the settings database and the JSON-RPC secret if missing
  status   what the server and the client report (exit status 1 if either cannot be reached)
run "riffbox <command> --help" for a command's options`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
      return (await import('./server/main.js')).runServer(rest);
    case 'client':
      return (await import('./client/main.js')).runClient(rest);
    case 'admin':
      return (await import('../../webadmin/src/main.js')).runAdmin(rest);
    case 'all':
      return (await import('./run-all.js')).runAll(rest);
    case 'init':
      return runInit(rest);
    case 'status':
      return (await import('./status-command.js')).runStatus(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`riffbox: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Services resolve only when they have stopped; leftover handles must not keep a stopped service alive.
    if (code !== 0 || (process.argv[2] !== 'init' && process.argv[2] !== 'status')) setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    console.error(`riffbox: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
