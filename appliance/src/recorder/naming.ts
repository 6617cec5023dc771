// Names of sessions and tracks as Jamulus's recorder makes them, so a riffbox session folder looks like one
// from a Jamulus server: "Jam-20260301-194502123/Alice-203_0_113_x_54321-0-1.wav".
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_PREFIX } from './recorder-facts.js';

/**
 * Jamulus keeps ASCII letters and digits, folds Latin-1 letters to their base letter (and a few symbols to
 * look-alikes), and turns everything else into "_". Characters beyond Latin-1 become "_" too.
 */
const LATIN1_FOLDS: readonly [number, string][] = [
  [0x8a, 'S'], [0x8c, 'O'], [0x8e, 'Z'], [0x9a, 's'], [0x9c, 'o'], [0x9e, 'z'], [0x9f, 'Y'],
  [0xb2, '2'], [0xb3, '3'], [0xb5, 'u'], [0xb9, '1'],
];
const LATIN1_LETTERS =
  // 0xC0 … 0xFF
  'AAAAAAACEEEEIIII' + 'DNOOOOOxOUUUUYPS' + 'aaaaaaaceeeeiiii' + 'dnooooo_ouuuuypy';

const FOLD = ((): string[] => {
  const t = new Array<string>(256).fill('_');
  for (let c = 0x30; c <= 0x39; c++) t[c] = String.fromCharCode(c);
  for (let c = 0x41; c <= 0x5a; c++) t[c] = String.fromCharCode(c);
  for (let c = 0x61; c <= 0x7a; c++) t[c] = String.fromCharCode(c);
  for (const [c, s] of LATIN1_FOLDS) t[c] = s;
  for (let i = 0; i < 64; i++) t[0xc0 + i] = LATIN1_LETTERS[i]!;
  return t;
})();

export function foldChars(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c < 256 ? FOLD[c] : '_';
  }
  return out;
}

/**
 * The address part, as Jamulus writes it: the last byte of an IPv4 address (or IPv4-mapped one) hidden as "x",
 * the last group of an IPv6 address too, in brackets; the loopback addresses are kept. Then the port.
 */
export function hiddenAddress(address: string, port: number): string {
  if (address.includes('.')) return `${address === '127.0.0.1' ? address : address.replace(/\.\d+$/, '.x')}:${port}`;
  return `[${address === '::1' ? address : address.replace(/:[^:]*$/, ':x')}]:${port}`;
}

/** A track's name: the musician's name (at least 4 characters) and where they connected from. */
export function trackName(name: string, address: string, port: number): string {
  return `${foldChars(name).padEnd(4, '_')}-${foldChars(hiddenAddress(address, port))}`;
}

/** NAME-ADDRESS-STARTFRAME-CHANNELS[_N].wav, with _1, _2 … when the name is taken. */
export function trackFileName(dir: string, track: string, startFrame: number, channels: number): string {
  const base = `${track}-${startFrame}-${channels}`;
  let affix = '';
  for (let n = 1; existsSync(join(dir, `${base}${affix}.wav`)); n++) affix = `_${n}`;
  return `${base}${affix}.wav`;
}

/** What a track file's name says, or null if it is not one of the recorder's. */
export function parseTrackFileName(file: string): { track: string; startFrame: number; channels: number } | null {
  const m = /^([^-]+)-([^-]+)-(\d+)-([12])(?:_\d+)?\.wav$/.exec(file);
  if (!m) return null;
  return { track: `${m[1]}-${m[2]}`, startFrame: Number(m[3]), channels: Number(m[4]) };
}

/** "Jam-" + UTC yyyyMMdd-HHmmsszzz. */
export function sessionDirName(at: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    SESSION_PREFIX +
    `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-` +
    `${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}${p(at.getUTCMilliseconds(), 3)}`
  );
}

/** The start time a session's name records. */
export function sessionDate(name: string): Date | null {
  const m = /^Jam-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(\d{3})$/.exec(name);
  if (!m) return null;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
}
