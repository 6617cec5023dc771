// Unix socket paths for the control channel: who may take one, and what a failed connect means.
import { lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';

/** sockaddr_un's sun_path holds 108 bytes on Linux, the terminating NUL included. */
export const MAX_SOCKET_PATH_BYTES = 107;

export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`control socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter database path`);
  }
}

/** Resolves true when something accepts connections on the socket at `path`. */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Makes `path` free for a new listener: a socket left by a service that died is removed, while a
 * live one (another instance of the same service) or a file that is not a socket is an error.
 */
export async function claimSocketPath(path: string): Promise<void> {
  checkSocketPath(path);
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket`);
  if (await socketAnswers(path)) throw new Error(`another process is already listening on ${path}`);
  unlinkSync(path);
}
