// Runs inside a namespace: serves a Unix socket (a file, so reachable from every namespace) and pipes each
// connection to 127.0.0.1:PORT of that namespace. Jamulus 3.9.1 binds its JSON-RPC to 127.0.0.1 only,
// which the test process, in another namespace, cannot reach otherwise.
//   ip netns exec NS node ns-relay.js /path/to.sock PORT
import { createServer, connect } from 'node:net';
import { rmSync } from 'node:fs';

const [path, portText] = process.argv.slice(2);
const port = Number(portText);
if (!path || !Number.isInteger(port)) {
  console.error('usage: ns-relay.js SOCKET PORT');
  process.exit(2);
}
rmSync(path, { force: true });
const server = createServer((outer) => {
  const inner = connect({ port, host: '127.0.0.1' });
  outer.pipe(inner);
  inner.pipe(outer);
  const end = (): void => {
    outer.destroy();
    inner.destroy();
  };
  outer.on('error', end);
  inner.on('error', end);
  outer.on('close', end);
  inner.on('close', end);
});
server.listen(path, () => console.log(`relay ${path} -> 127.0.0.1:${port}`));
const quit = (): void => {
  server.close();
  rmSync(path, { force: true });
  process.exit(0);
};
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
