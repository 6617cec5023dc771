// Runs inside a namespace: registers COUNT made-up servers with a directory, one UDP socket (one source
// address) each, and prints `FILLED {"0":n,"1":m,…}` — the CLM_REGISTER_SERVER_RESP results received.
// A Jamulus directory holds 150 entries including its own, so 149 fill it.
//   ip netns exec NS node fill-directory.js --directory IP:PORT --count N
import dgram from 'node:dgram';
import { encodeMessage, parseFrame, decodeMessage } from '../../appliance/src/protocol/index.js';

const args = process.argv.slice(2);
const opt = (n: string): string | undefined => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const [dirIp, portText] = (opt('directory') ?? '').split(':');
const dirPort = Number(portText ?? 22124);
const count = Number(opt('count') ?? 149);

async function main(): Promise<void> {
  const results: Record<string, number> = {};
  const sockets: dgram.Socket[] = [];
  let answered = 0;
  const done = new Promise<void>((resolve) => {
    for (let i = 0; i < count; i++) {
      const s = dgram.createSocket('udp4');
      sockets.push(s);
      s.on('message', (m) => {
        const f = parseFrame(m);
        if (!f.ok) return;
        const d = decodeMessage(f.id, f.payload);
        if (d.name !== 'CLM_REGISTER_SERVER_RESP') return;
        results[d.value.result] = (results[d.value.result] ?? 0) + 1;
        if (++answered === count) resolve();
      });
      s.bind(0, () => {
        const msg = encodeMessage('CLM_REGISTER_SERVER_EX', {
          port: s.address().port, country: 0, maxClients: 4, permanent: false, name: `filler ${i}`,
          internalAddress: '', city: '', os: 2, version: '3.9.1',
        }, 0);
        s.send(msg, dirPort, dirIp);
      });
    }
    setTimeout(resolve, 5000);
  });
  await done;
  console.log(`FILLED ${JSON.stringify(results)}`);
  // The directory keeps the entries for 33 minutes whether or not these sockets stay open.
  for (const s of sockets) s.close();
}

void main();
