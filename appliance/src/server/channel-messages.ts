// What the server does with each acknowledged message a confirmed client sends (§4): the audio format, jitter
// buffer size, its personal mix, its name and details, the client list, chat. The engine has already rationed
// them (CHANNEL_MESSAGE_BUDGET); what reaches every other client also takes from the fan-out budget.
import { formatFromProps, LIMITS, type ReceivedMessage } from '../protocol/index.js';
import type { Mixer } from '../audio/mixer.js';
import { JITTER } from '../audio/jitter-buffer.js';
import type { RecordingTap } from '../recorder/tap.js';
import { ChannelAudio, type Channel } from './channel.js';
import type { ChannelTable } from './channel-table.js';
import { chatLineHtml } from './chat-html.js';
import type { DropCounter } from './engine-drops.js';
import type { EngineEvent } from './engine-options.js';

export interface ChannelMessagesContext {
  readonly frameSamples: 64 | 128;
  readonly table: ChannelTable;
  readonly mixer: Mixer;
  readonly tap: RecordingTap | null;
  readonly drops: DropCounter;
  /** performance.now() of the datagram or tick being handled. */
  nowMs(): number;
  emit(e: EngineEvent): void;
}

export class ChannelMessages {
  constructor(private readonly ctx: ChannelMessagesContext) {}

  handle(ch: Channel, m: ReceivedMessage): void {
    const now = this.ctx.nowMs();
    const { table, mixer, tap, drops } = this.ctx;
    const slots = table.slots;
    switch (m.name) {
      case 'NETW_TRANSPORT_PROPS': {
        const v = m.value;
        if (v.codec !== 2 && v.codec !== 3) {
          ch.link.sendMessage('OPUS_SUPPORTED', {}, now);
          return;
        }
        const fmt = formatFromProps(v);
        const cur = ch.audio?.format;
        if (
          cur &&
          cur.codec === fmt.codec &&
          cur.channels === fmt.channels &&
          cur.codedBytes === fmt.codedBytes &&
          cur.factor === fmt.factor &&
          cur.sequence === fmt.sequence
        ) {
          return;
        }
        let audio: ChannelAudio;
        try {
          audio = new ChannelAudio(fmt, this.ctx.frameSamples);
        } catch (e) {
          // e.g. a coded size Opus cannot produce; keep the old format rather than dropping the client.
          drops.count('bad-transport-props', `${ch.endpoint}: ${(e as Error).message}`);
          return;
        }
        audio.setJitter(ch.jitterSetting);
        ch.audio?.close();
        ch.audio = audio;
        ch.fade.setFormat(fmt.frameSamples as 64 | 128, fmt.factor);
        return;
      }
      case 'JITT_BUF_SIZE': {
        const blocks = m.value.blocks;
        ch.jitterSetting = blocks;
        ch.audio?.setJitter(blocks);
        if (blocks === JITTER.autoBlocks) ch.link.sendMessage('JITT_BUF_SIZE', { blocks: ch.jitterBlocks }, now);
        return;
      }
      case 'CHANNEL_GAIN': {
        const { channelId, gain } = m.value;
        if (channelId >= slots.length) return;
        const before = mixer.getGain(ch.id, channelId);
        const g = gain / 32768;
        mixer.setGain(ch.id, channelId, g);
        const target = slots[channelId];
        if (target?.confirmed && target !== ch && (before === 0) !== (g === 0)) {
          // Reaches another client's queue: rationed like chat. Over the ration only the notice is lost.
          if (ch.fanoutBudget.take(1, now)) target.link.sendMessage('MUTE_STATE_CHANGED', { channelId: ch.id, muted: g === 0 }, now);
          else drops.countFrom('fanout-rate', ch.addr, ch.port, 'MUTE_STATE_CHANGED notice over the rate');
        }
        return;
      }
      case 'CHANNEL_PAN': {
        const { channelId, pan } = m.value;
        if (channelId < slots.length) mixer.setPan(ch.id, channelId, Math.min(1, pan / 32768));
        return;
      }
      case 'CHANNEL_INFOS': {
        const v = m.value;
        const old = ch.info;
        const changed =
          !ch.identified ||
          old.name !== v.name ||
          old.city !== v.city ||
          old.country !== v.country ||
          old.instrument !== v.instrument ||
          old.skill !== v.skill;
        if (old.name !== v.name || !ch.identified) tap?.named(ch.id, v.name);
        ch.info = { country: v.country, instrument: v.instrument, skill: v.skill, name: v.name, city: v.city };
        if (!ch.identified) {
          ch.identified = true;
          const fmt = ch.audio?.format;
          ch.fade.start((fmt?.frameSamples ?? 128) as 64 | 128, fmt?.factor ?? 1);
        }
        if (changed) table.broadcastClientList();
        return;
      }
      case 'REQ_CONN_CLIENTS_LIST':
        ch.link.sendMessage('CONN_CLIENTS_LIST', { clients: table.clientList() }, now);
        return;
      case 'CHAT_TEXT': {
        const text = m.value.text;
        const html = fitChat(ch.id, ch.info.name, text);
        for (const other of slots) if (other?.confirmed) other.link.sendMessage('CHAT_TEXT', { text: html }, now);
        this.ctx.emit({ event: 'chatMessageReceived', id: ch.id, chatMessage: text });
        return;
      }
      default:
        // SPLIT_MESS_SUPPORTED is handled inside the link; REQ_CHANNEL_LEVEL_LIST is obsolete for 3.6+ servers;
        // anything else a client may send has no server-side meaning.
        return;
    }
  }
}

/** The chat line as HTML, shortened so that it fits what clients accept (1800 UTF-16 units). */
function fitChat(id: number, name: string, text: string): string {
  let t = text;
  let html = chatLineHtml(id, name, t);
  while (html.length > LIMITS.chat && t.length > 0) {
    t = t.slice(0, Math.max(0, t.length - (html.length - LIMITS.chat)));
    html = chatLineHtml(id, name, t);
  }
  return html;
}
