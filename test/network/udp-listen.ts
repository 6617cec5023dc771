// Runs inside a namespace: a host that receives but never answers — what a directory that is down or
// firewalled looks like to a registering server. Prints `RX <ms since start> <message name>` per datagram.
//   ip netns exec NS node udp-listen.js IP PORT
import dgram from 'node:dgram';
import { parseFrame, messageName } from '../../appliance/src/protocol/index.js';

const [ip, portText] = process.argv.slice(2);
const start = Date.now();
const s = dgram.createSocket('udp4');
s.on('message', (m) => {
  const f = parseFrame(m);
  console.log(`RX ${Date.now() - start} ${f.ok ? messageName(f.id) : 'invalid'}`);
});
s.bind(Number(portText), ip, () => console.log(`listening ${ip}:${portText}`));
process.on('SIGTERM', () => process.exit(0));
