// A protocol-level Jamulus client for server tests: it connects like a real client (§5.6), sends real Opus
// frames (a sine or silence), decodes everything the server sends back, and exposes the messages it got.
// Tests use it where Debian's 3.9.1 headless client cannot do the thing over JSON-RPC (setting another
// channel's gain), or where a test needs to see raw protocol messages (welcome, server full).
import dgram from 'node:dgram';
import {
  CODEC,
  ProtocolLink,
  assembleAudioPacket,
  audioPacketBytes,
  decodeMessage,
  isProtocolFrame,
  messageClass,
  parseFrame,
  propsFromFormat,
  type AudioFormat,
  type Message,
} from '../../../appliance/src/protocol/index.js';
import { OpusCustomDecoder, OpusCustomEncoder, codedBytesFor } from '../../../appliance/src/audio/opus-codec.js';

export interface ProbeOptions {
  serverPort: number;
  serverHost?: string;
  name: string;
  frames?: 64 | 128;
  /** Tone to send (Hz); 0 sends silence. */
  toneHz?: number;
  toneAmplitude?: number;
}

export class ProbeClient {
  readonly socket = dgram.createSocket('udp4');
  readonly messages: Message[] = [];
  readonly clm: Message[] = [];
  /** Decoded mono audio received from the server, appended in arrival order. */
  readonly received: number[] = [];
  channelId = -1;
  private readonly link: ProtocolLink;
  private readonly format: AudioFormat;
  private readonly encoder: InstanceType<typeof OpusCustomEncoder>;
  private readonly decoder: InstanceType<typeof OpusCustomDecoder>;
  private readonly pcm: Int16Array;
  private readonly out: Int16Array;
  private readonly coded: Uint8Array;
  private readonly packet: Uint8Array;
  private seq = 0;
  private phase = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending = true;
  private readonly host: string;

  constructor(private readonly opts: ProbeOptions) {
    const frames = opts.frames ?? 128;
    const coded = codedBytesFor(frames, 1, 'normal');
    this.host = opts.serverHost ?? '127.0.0.1';
    this.format = { codec: frames === 64 ? CODEC.OPUS64 : CODEC.OPUS, frameSamples: frames, channels: 1, codedBytes: coded, factor: 1, sequence: false };
    this.encoder = new OpusCustomEncoder(frames, 1, coded);
    this.decoder = new OpusCustomDecoder(frames, 1);
    this.pcm = new Int16Array(frames);
    this.out = new Int16Array(frames);
    this.coded = new Uint8Array(coded);
    this.packet = new Uint8Array(audioPacketBytes(this.format));
    this.link = new ProtocolLink({
      send: (b) => this.socket.send(b, opts.serverPort, this.host),
      onMessage: (m) => this.onMessage(m),
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', () => resolve()));
    this.socket.on('message', (msg) => this.onDatagram(msg));
    const period = (this.format.frameSamples / 48000) * 1000;
    const t0 = performance.now();
    let sent = 0;
    // A coarse timer sending the frames that are due keeps the average rate exact without a native pacer.
    this.timer = setInterval(() => {
      const due = Math.floor((performance.now() - t0) / period);
      while (sent < due) {
        this.sendFrame();
        sent++;
      }
      this.link.poll(performance.now());
    }, 2);
  }

  get port(): number {
    return this.socket.address().port;
  }

  private sendFrame(): void {
    if (!this.sending) return;
    const n = this.format.frameSamples;
    const hz = this.opts.toneHz ?? 0;
    const amp = (this.opts.toneAmplitude ?? 0.3) * 32767;
    for (let i = 0; i < n; i++) {
      this.pcm[i] = hz > 0 ? Math.round(amp * Math.sin((2 * Math.PI * hz * this.phase) / 48000)) : 0;
      this.phase++;
    }
    this.encoder.encode(this.pcm, this.coded, 0);
    this.seq = assembleAudioPacket(this.format, this.coded, this.seq, this.packet);
    this.socket.send(this.packet, this.opts.serverPort, this.host);
  }

  private onDatagram(msg: Buffer): void {
    if (isProtocolFrame(msg, msg.length)) {
      const f = parseFrame(msg, msg.length);
      if (!f.ok) return;
      if (messageClass(f.id) === 'clm') {
        try {
          this.clm.push(decodeMessage(f.id, f.payload));
        } catch {
          // a malformed connection-less message is ignored, as a real client does
        }
        return;
      }
      this.link.receiveFrame(f, performance.now());
      return;
    }
    const coded = this.format.codedBytes + (this.format.sequence ? 1 : 0);
    if (msg.length !== coded) return;
    if (this.decoder.decode(msg, 0, this.format.codedBytes, this.out) > 0) {
      for (let i = 0; i < this.out.length; i++) this.received.push(this.out[i]! / 32768);
    }
  }

  private onMessage(m: Message): void {
    this.messages.push(m);
    const now = performance.now();
    switch (m.name) {
      case 'CLIENT_ID':
        this.channelId = m.value.channelId;
        return;
      case 'REQ_NETW_TRANSPORT_PROPS':
        this.link.sendMessage('NETW_TRANSPORT_PROPS', propsFromFormat(this.format), now);
        return;
      case 'REQ_JITT_BUF_SIZE':
        this.link.sendMessage('JITT_BUF_SIZE', { blocks: 21 }, now);
        return;
      case 'REQ_CHANNEL_INFOS':
        this.link.sendMessage('CHANNEL_INFOS', { country: 0, instrument: 0, skill: 0, name: this.opts.name, city: '' }, now);
        return;
      default:
        return;
    }
  }

  /** Sets the level at which channel `id` is heard in this client's own mix (0…1). */
  setGain(id: number, gain: number): void {
    this.link.sendMessage('CHANNEL_GAIN', { channelId: id, gain: Math.round(gain * 32768) }, performance.now());
  }

  sendChat(text: string): void {
    this.link.sendMessage('CHAT_TEXT', { text }, performance.now());
  }

  /** Stops audio and leaves like a real client: silence on the wire, then CLM_DISCONNECTION. */
  async disconnect(): Promise<void> {
    this.sending = false;
    await new Promise((r) => setTimeout(r, 100));
    this.link.sendClm('CLM_DISCONNECTION', {});
  }

  /** Samples received since `from` (an index into `received`). */
  since(from: number): Float32Array {
    return Float32Array.from(this.received.slice(from));
  }

  async waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`probe ${this.opts.name}: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
