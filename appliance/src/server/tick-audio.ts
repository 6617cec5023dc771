// The audio of one server tick: every channel's next frame decoded from its jitter buffer, the heard ones mixed
// and recorded, the level list when due, and one personal mix per client encoded in its own format and sent.
// A client whose frame size differs from the server's is converted 2:1 here (two frames per tick, or one
// frame over two ticks). Runs on the engine's real-time thread: the buffers it decodes, mixes and encodes in are
// the channels' own (channel.ts), allocated when a client announces its format.
import { encodeMessage } from '../protocol/index.js';
import type { Mixer } from '../audio/mixer.js';
import type { RecordingTap } from '../recorder/tap.js';
import type { Channel, ChannelAudio } from './channel.js';
import { LEVEL_INTERVAL_64 } from './server-facts.js';
import type { SendGuard } from './send-guard.js';
import type { EngineStats } from './engine-options.js';

export class TickAudio {
  private levelCounter = 0;

  constructor(
    private readonly frameSamples: 64 | 128,
    private readonly slots: readonly (Channel | null)[],
    private readonly mixer: Mixer,
    private readonly tap: RecordingTap | null,
    private readonly send: SendGuard,
    private readonly stats: EngineStats,
  ) {}

  /** One tick's audio at `now` (performance.now()); each link is polled after its client's audio is queued. */
  run(now: number): void {
    const T = this.frameSamples;
    const slots = this.slots;
    const mixer = this.mixer;

    // Inputs: every channel with a format drains its jitter buffer so it keeps flowing; only identified
    // channels are heard, and recorded.
    const tap = this.tap !== null && this.tap.beginTick(T) ? this.tap : null;
    for (let i = 0; i < slots.length; i++) {
      const ch = slots[i];
      if (!ch) continue;
      const a = ch.audio;
      if (!a) continue;
      const ch2 = a.format.channels as 1 | 2;
      let pcm: Int16Array;
      if (a.format.frameSamples === T) {
        if (a.decodeNext(a.input)) ch.underruns++;
        pcm = a.input;
      } else if (T === 128) {
        if (a.decodeNext(a.inputHalves[0])) ch.underruns++;
        if (a.decodeNext(a.inputHalves[1])) ch.underruns++;
        pcm = a.input;
      } else {
        if (a.phase === 0 && a.decodeNext(a.convIn)) ch.underruns++;
        pcm = a.convInHalves[a.phase]!;
      }
      if (a.sizeChanged) {
        a.sizeChanged = false;
        ch.link.sendMessage('JITT_BUF_SIZE', { blocks: a.receiver.size }, now);
      }
      a.current = pcm;
      if (ch.identified && ch.confirmed) {
        mixer.setInput(ch.id, pcm, ch2);
        mixer.setFade(ch.id, ch.fade.value);
        tap?.add(ch.id, ch2, pcm);
      }
    }
    tap?.endTick();

    this.levelCounter += T / 64;
    if (this.levelCounter > LEVEL_INTERVAL_64) {
      this.levelCounter = 0;
      this.sendLevels();
    }

    // Outputs: one personal mix per identified channel, encoded in the client's own format.
    for (let i = 0; i < slots.length; i++) {
      const ch = slots[i];
      if (!ch) continue;
      const a = ch.audio;
      if (a && ch.identified && ch.confirmed) {
        const ch2 = a.format.channels as 1 | 2;
        if (a.format.frameSamples === T) {
          mixer.mixFor(ch.id, ch2, a.mix);
          this.sendFrame(ch, a, a.mix);
        } else if (T === 128) {
          mixer.mixFor(ch.id, ch2, a.mix);
          this.sendFrame(ch, a, a.mixHalves[0]);
          this.sendFrame(ch, a, a.mixHalves[1]);
        } else {
          mixer.mixFor(ch.id, ch2, a.convOutHalves[a.phase]!);
          if (a.phase === 1) this.sendFrame(ch, a, a.convOut);
        }
      }
      if (a) a.phase ^= 1;
      ch.link.poll(now);
    }
  }

  private sendFrame(ch: Channel, a: ChannelAudio, pcm: Int16Array): void {
    const packet = a.encodeFrame(pcm);
    if (packet) {
      this.stats.audioPacketsOut++;
      this.send.audio(packet, packet.length, ch.addr, ch.port);
    }
  }

  private sendLevels(): void {
    const levels: number[] = [];
    for (const ch of this.slots) {
      if (!ch?.confirmed) continue;
      const a = ch.audio;
      ch.level = a && ch.identified ? ch.meter.update(a.current, this.frameSamples, a.format.channels as 1 | 2) : 0;
      levels.push(ch.level);
    }
    if (levels.length === 0) return;
    const bytes = encodeMessage('CLM_CHANNEL_LEVEL_LIST', { levels }, 0);
    for (const ch of this.slots) if (ch?.confirmed) this.send.control(bytes, ch.addr, ch.port);
  }
}
