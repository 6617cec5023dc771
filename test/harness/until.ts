// Polls a condition until it holds: the one waiting loop of the browser tests and the boot test's phone.

/**
 * Polls `fn` every `everyMs` until it returns something truthy, and returns that; a throw counts as "not
 * yet". On time-out, throws naming `what`, the last error, and `context()` (e.g. the processes' log tails).
 */
export async function until<T>(
  what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 15000, everyMs = 250, context: () => string = () => '',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const extra = context();
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${extra ? `\n${extra}` : ''}`);
}
