// Runs on the booted image: asks the riffbox server over its Jamulus-style JSON-RPC (port 8765,
// the secret riffbox-firstboot wrote) which clients it has, and prints one line with their names.
// On a fresh box the local client (default name "riffbox") must be among them: the server and
// the client found each other and keep the session up. Plain sockets, independent of the app's
// own JSON-RPC client.
const net = require('node:net');
const fs = require('node:fs');
const secret = fs.readFileSync(process.env.RIFFBOX_SECRET ?? '/var/lib/riffbox/jsonrpc.secret', 'utf8').trim();
const sock = net.connect(Number(process.env.RIFFBOX_RPC_PORT ?? 8765), '127.0.0.1');
const requests = [
  { jsonrpc: '2.0', id: 1, method: 'jamulus/apiAuth', params: { secret } },
  { jsonrpc: '2.0', id: 2, method: 'jamulusserver/getClients', params: {} },
];
let buf = '';
const timer = setTimeout(() => { console.log('CLIENTS error=timeout'); process.exit(1); }, 10000);
sock.on('connect', () => sock.write(requests.map((r) => JSON.stringify(r) + '\n').join('')));
sock.on('error', (e) => { console.log(`CLIENTS error=${e.code ?? e.message}`); process.exit(1); });
sock.on('data', (d) => {
  buf += d;
  for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
    const msg = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (msg.error) { console.log(`CLIENTS error=${JSON.stringify(msg.error)}`); process.exit(1); }
    if (msg.id === 2) {
      clearTimeout(timer);
      console.log(`CLIENTS names=${JSON.stringify(msg.result.clients.map((c) => c.name))}`);
      sock.end();
    }
  }
});
