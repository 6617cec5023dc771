// Fade-in of a newly identified channel (protocol §3.6): its contribution to every mix, and
// everybody's contribution to its own mix, ramp linearly from 0 to 1 over about 3 s. Time is
// counted in received packets, so the ramp length depends on the client's packet format.

/** Number of received packets the ramp lasts for a client's codec frame size and block factor. */
export function fadeInPackets(codecFrameSamples: 64 | 128, blockFactor: number): number {
  const total = codecFrameSamples === 64 ? 2250 : 1125;
  const f = blockFactor >= 1 ? Math.trunc(blockFactor) : 1;
  return Math.max(1, Math.trunc(total / f));
}

export class FadeIn {
  private count = 0;
  private total = 1;
  private _value = 1;

  /** Starts the ramp at 0 (on the first valid CHANNEL_INFOS). */
  start(codecFrameSamples: 64 | 128, blockFactor: number): void {
    this.total = fadeInPackets(codecFrameSamples, blockFactor);
    this.count = 0;
    this._value = 0;
  }

  /** The client changed its packet format mid-ramp: keep the progress made so far. */
  setFormat(codecFrameSamples: 64 | 128, blockFactor: number): void {
    const progress = this._value;
    this.total = fadeInPackets(codecFrameSamples, blockFactor);
    this.count = Math.round(progress * this.total);
    this._value = this.count >= this.total ? 1 : this.count / this.total;
  }

  /** Ends any ramp: full level. */
  finish(): void {
    this.count = this.total;
    this._value = 1;
  }

  /** Call once per received audio packet. */
  onPacket(): void {
    if (this.count < this.total) {
      this.count++;
      this._value = this.count / this.total;
    }
  }

  /** Current factor 0 … 1. */
  get value(): number {
    return this._value;
  }

  get done(): boolean {
    return this._value >= 1;
  }
}
