// The HTML a server broadcasts for a client's chat line (§4.7):
// <font color="C">(hh:mm:ss AM) <b>NAME</b></font> TEXT, with NAME and TEXT escaped.
import { CHAT_COLOURS } from './server-facts.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function clock12(d: Date): string {
  const h = d.getHours();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(h % 12 === 0 ? 12 : h % 12)}:${two(d.getMinutes())}:${two(d.getSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

export function chatLineHtml(channelId: number, name: string, text: string, now = new Date()): string {
  const colour = CHAT_COLOURS[channelId % CHAT_COLOURS.length];
  return `<font color="${colour}">(${clock12(now)}) <b>${escapeHtml(name)}</b></font> ${escapeHtml(text)}`;
}
