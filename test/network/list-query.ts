// Runs inside a namespace: asks a directory for its server list the way a Jamulus client does
// (CLM_REQ_SERVER_LIST, repeated until the full CLM_SERVER_LIST arrives) and prints
//   LIST {"port":P,"reduced":[…],"full":[…]}
// With --hold-base Q it first binds UDP Q…Q+199, asks from Q+100, then frees only Q+100 and keeps the
// rest until someone else binds Q+100. A Jamulus 3.9.1 client started with `-p Q` tries ports from
// Q+rand(100) upwards, so it must take Q+100: it then sends from the very address the directory saw in
// the list request — the address it told the registered server to punch a hole for, as a GUI client's
// single socket does.
//   ip netns exec NS node list-query.js --directory IP:PORT [--hold-base Q] [--timeout MS]
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { encodeMessage, parseFrame, decodeMessage } from '../../appliance/src/protocol/index.js';

const args = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
const [dirIp, dirPortText] = (opt('directory') ?? '').split(':');
const dirPort = Number(dirPortText ?? 22124);
const holdBase = opt('hold-base') === undefined ? null : Number(opt('hold-base'));
const timeoutMs = Number(opt('timeout') ?? 8000);
if (!dirIp) {
  console.error('usage: list-query.js --directory IP:PORT [--hold-base Q] [--timeout MS]');
  process.exit(2);
}

function bind(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '0.0.0.0', () => resolve(s));
  });
}

function udpBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1).some((l) => l.trim().split(/\s+/)[1]?.endsWith(hex));
}

async function main(): Promise<number> {
  const held: dgram.Socket[] = [];
  let sock: dgram.Socket;
  if (holdBase !== null) {
    for (let p = holdBase; p < holdBase + 200; p++) if (p !== holdBase + 100) held.push(await bind(p));
    sock = await bind(holdBase + 100);
  } else {
    sock = await bind(0);
  }
  const port = sock.address().port;
  let reduced: unknown[] | null = null;
  const full = await new Promise<unknown[] | null>((resolve) => {
    const req = encodeMessage('CLM_REQ_SERVER_LIST', {}, 0);
    const send = (): void => sock.send(req, dirPort, dirIp);
    const timer = setInterval(send, 500);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      resolve(null);
    }, timeoutMs);
    sock.on('message', (m, rinfo) => {
      if (rinfo.address !== dirIp) return;
      const f = parseFrame(m);
      if (!f.ok) return;
      const d = decodeMessage(f.id, f.payload);
      if (d.name === 'CLM_RED_SERVER_LIST') reduced = d.value.servers;
      if (d.name === 'CLM_SERVER_LIST') {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(d.value.servers);
      }
    });
    send();
  });
  console.log(`LIST ${JSON.stringify({ port, reduced, full })}`);
  await new Promise<void>((r) => sock.close(() => r()));
  if (holdBase !== null) {
    console.log(`RELEASED ${port}`);
    const deadline = Date.now() + 20000;
    while (!udpBound(port) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    console.log(udpBound(port) ? `TAKEN ${port}` : `UNTAKEN ${port}`);
    for (const s of held) s.close();
  }
  return full ? 0 : 1;
}

main().then((code) => process.exit(code));
