// A root shell on the guest's serial console (systemd.debug_shell, which only the boot test puts
// on the kernel command line), driven with unique markers so that echoed input and kernel
// messages never match a command's output.
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The debug shell's prompt appears ≈ 40 s after QEMU starts under emulation. */
const PROMPT_WAIT_MS = 240000;

export interface ShellResult {
  readonly out: string;
  readonly code: number;
}

export class GuestShell {
  private buf = '';
  private sock: Socket | null = null;
  private seq = 0;

  constructor(private readonly path: string) {}

  async connect(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      try {
        this.sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(this.path, () => resolve(s));
          s.once('error', reject);
        });
        this.sock.setEncoding('utf8');
        this.sock.on('data', (d: string) => {
          this.buf += d.replace(/\r/g, '');
        });
        this.sock.on('error', () => {});
        return;
      } catch {
        await sleep(500);
      }
    }
    throw new Error('serial console socket never appeared');
  }

  async waitReady(deadline: number): Promise<void> {
    // Nothing is sent before the guest's shell has printed its prompt: input that reaches QEMU's PL011
    // while the guest has not yet set the UART up can leave QEMU never reading the socket again (the
    // boot hangs with our bytes queued, the guest never sees them). A prompt we missed (a reconnect)
    // is covered by starting anyway after PROMPT_WAIT_MS.
    const promptBy = Math.min(deadline, Date.now() + PROMPT_WAIT_MS);
    while (Date.now() < promptBy && !/root@[^\n]*# ?$|# $/m.test(this.buf)) await sleep(200);
    while (Date.now() < deadline) {
      this.write('stty -echo 2>/dev/null; echo @@"READY"\n');
      const t = Date.now() + 3000;
      while (Date.now() < t) {
        if (this.buf.includes('@@READY')) {
          this.buf = '';
          return;
        }
        await sleep(200);
      }
    }
    throw new Error('no root shell on ttyAMA0 (systemd.debug_shell) before the deadline');
  }

  write(text: string): void {
    this.sock?.write(text);
  }

  async run(cmd: string, timeoutMs = 180000): Promise<ShellResult> {
    const id = ++this.seq;
    const begin = `@@B${id}@@`;
    const end = new RegExp(`@@E${id}:(\\d+)@@`);
    this.buf = '';
    this.write(`echo @@"B${id}"@@; ${cmd}; echo @@"E${id}:$?"@@\n`);
    const t = Date.now() + timeoutMs;
    while (Date.now() < t) {
      const m = this.buf.match(end);
      const b = this.buf.indexOf(begin);
      if (m && b >= 0) {
        const out = this.buf.slice(b + begin.length, m.index).replace(/^\n/, '').replace(/\n$/, '');
        return { out, code: Number(m[1]) };
      }
      await sleep(100);
    }
    throw new Error(`guest command timed out after ${timeoutMs} ms: ${cmd.slice(0, 200)}`);
  }

  /** Copies a file of the host into the guest (base64 over the console, in chunks the tty takes). */
  async put(hostPath: string, guestPath: string): Promise<void> {
    const b64 = readFileSync(hostPath).toString('base64');
    await this.run(`: > ${guestPath}.b64`);
    for (let i = 0; i < b64.length; i += 3000) {
      await this.run(`printf '%s' '${b64.slice(i, i + 3000)}' >> ${guestPath}.b64`);
    }
    const r = await this.run(`base64 -d ${guestPath}.b64 > ${guestPath} && rm ${guestPath}.b64`);
    if (r.code !== 0) throw new Error(`copying ${hostPath} to the guest failed: ${r.out}`);
  }

  close(): void {
    this.sock?.destroy();
    this.sock = null;
  }
}
