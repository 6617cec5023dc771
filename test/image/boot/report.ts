// What the boot test judged and measured: each named check with its verdict and the figures behind
// it, each journey step with its duration. Printed as it goes, and as one JSON line at the end for
// image/test-all (which records boot-to-ready in image/VERIFIED).
export interface Check {
  readonly step: string;
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export class Report {
  readonly checks: Check[] = [];
  readonly steps: { name: string; seconds: number; ok: boolean }[] = [];
  readonly figures: Record<string, unknown> = {};
  private step = 'boot';

  check(name: string, ok: boolean, detail = ''): boolean {
    this.checks.push({ step: this.step, name, ok, detail });
    console.log(`${ok ? 'ok  ' : 'FAIL'} [${this.step}] ${name}${detail ? ` — ${detail}` : ''}`);
    return ok;
  }

  figure(name: string, value: unknown): void {
    this.figures[name] = value;
    console.log(`     ${name} = ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }

  log(line: string): void {
    console.log(`boot-test: ${line}`);
  }

  /** Runs one journey step; an exception fails the step (with its message) and the run goes on. */
  async run(name: string, fn: () => Promise<void>): Promise<boolean> {
    this.step = name;
    const t0 = Date.now();
    const before = this.failures();
    let ok = true;
    try {
      await fn();
    } catch (e) {
      ok = false;
      this.check(`${name} finished`, false, (e as Error).stack ?? String(e));
    }
    ok = ok && this.failures() === before;
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    this.steps.push({ name, seconds, ok });
    console.log(`boot-test: step "${name}" ${ok ? 'passed' : 'FAILED'} in ${seconds} s`);
    return ok;
  }

  failures(): number {
    return this.checks.filter((c) => !c.ok).length;
  }

  get ok(): boolean {
    return this.checks.length > 0 && this.failures() === 0;
  }
}
