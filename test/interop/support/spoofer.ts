// Sender for the spoofed-source test, run inside the test's network namespace, where nftables rewrites the
// source address of every datagram it sends (spoof-net.ts): the server then sees up to 100 000 different
// senders, none of which can receive a reply. Per round i it sends, in this order:
//   - 46 bytes of audio-like junk (the channel request of a one-off forged datagram),
//   - 47 bytes of audio-like junk then the ACK a blind forger would guess for CLIENT_ID (counter 0),
//   - a 9-byte CLM_REQ_CONN_CLIENTS_LIST (the reflector's favourite: a list of every musician in reply).
// The datagram lengths tell the nftables rules which address range each belongs to. Runs until SIGTERM.
//
//   ip netns exec NS node dist/test/interop/support/spoofer.js --target ADDR:PORT --pps 20000
import { performance } from 'node:perf_hooks';
import { encodeMessage } from '../../../appliance/src/protocol/index.js';
import { NativeUdpSocket, ipv4ToUint } from '../../../appliance/src/net/udp-socket.js';
import { SPOOF_PAYLOAD_BYTES } from './spoof-net.js';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`spoofer: missing ${name}`);
  return v;
}

const [host, portText] = arg('--target').split(':');
const port = Number(portText);
const pps = Number(arg('--pps'));
const round: Uint8Array[] = [
  new Uint8Array(SPOOF_PAYLOAD_BYTES.audio).fill(0x5a),
  new Uint8Array(SPOOF_PAYLOAD_BYTES.audioBeforeAck).fill(0xa5),
  encodeMessage('ACKN', { ackedId: 32 }, 0),
  encodeMessage('CLM_REQ_CONN_CLIENTS_LIST', {}, 0),
];
if (round[2]!.length !== SPOOF_PAYLOAD_BYTES.ack || round[3]!.length !== SPOOF_PAYLOAD_BYTES.request) throw new Error('spoofer: payload sizes out of step with spoof-net.ts');

const socket = new NativeUdpSocket({ port: 0, sendQueueLength: 1024, sendBufferBytes: 1 << 22 });
const target = ipv4ToUint(host!);
const t0 = performance.now();
let sent = 0;
let scheduled = 0;
let stopping = false;

function step(): void {
  if (stopping) return;
  const due = Math.floor(((performance.now() - t0) * pps) / 1000);
  // A stalled process does not burst more than 20 ms worth: what it missed is not sent.
  if (due - scheduled > pps / 50) scheduled = due - Math.floor(pps / 50);
  while (scheduled < due) {
    // Whole rounds only, so every address range keeps in step with its own counter.
    for (const d of round) {
      if (socket.queued === socket.sendQueueLength) socket.flush();
      socket.queue(d, 0, d.length, target, port);
      sent++;
    }
    scheduled += round.length;
  }
  socket.flush();
  setTimeout(step, 1);
}

process.once('SIGTERM', () => {
  stopping = true;
  const seconds = (performance.now() - t0) / 1000;
  console.log(`sent ${sent} datagrams in ${seconds.toFixed(1)} s; send errors ${socket.stats().sendErrors}`);
  socket.close();
  process.exit(0);
});
console.log('spoofing');
step();
