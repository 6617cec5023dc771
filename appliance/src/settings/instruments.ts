// Instrument codes as sent in CHANNEL_INFOS (u32). Codes 0–47 exist since 3.6.0, 48 and 49 since
// 3.8.2; the table is unchanged since. Unknown codes display as "None", as Jamulus does.

export type InstrumentCategory = 'other' | 'percussion' | 'plucked' | 'keyboard' | 'wind' | 'string' | 'multiple';

export interface Instrument {
  readonly code: number;
  readonly name: string;
  readonly category: InstrumentCategory;
}

const ROWS: readonly (readonly [number, string, InstrumentCategory])[] = [
  [0, 'None', 'other'],
  [1, 'Drum Set', 'percussion'],
  [2, 'Djembe', 'percussion'],
  [3, 'Electric Guitar', 'plucked'],
  [4, 'Acoustic Guitar', 'plucked'],
  [5, 'Bass Guitar', 'plucked'],
  [6, 'Keyboard', 'keyboard'],
  [7, 'Synthesizer', 'keyboard'],
  [8, 'Grand Piano', 'keyboard'],
  [9, 'Accordion', 'keyboard'],
  [10, 'Vocal', 'other'],
  [11, 'Microphone', 'other'],
  [12, 'Harmonica', 'wind'],
  [13, 'Trumpet', 'wind'],
  [14, 'Trombone', 'wind'],
  [15, 'French Horn', 'wind'],
  [16, 'Tuba', 'wind'],
  [17, 'Saxophone', 'wind'],
  [18, 'Clarinet', 'wind'],
  [19, 'Flute', 'wind'],
  [20, 'Violin', 'string'],
  [21, 'Cello', 'string'],
  [22, 'Double Bass', 'string'],
  [23, 'Recorder', 'other'],
  [24, 'Streamer', 'other'],
  [25, 'Listener', 'other'],
  [26, 'Guitar+Vocal', 'multiple'],
  [27, 'Keyboard+Vocal', 'multiple'],
  [28, 'Bodhran', 'percussion'],
  [29, 'Bassoon', 'wind'],
  [30, 'Oboe', 'wind'],
  [31, 'Harp', 'string'],
  [32, 'Viola', 'string'],
  [33, 'Congas', 'percussion'],
  [34, 'Bongo', 'percussion'],
  [35, 'Vocal Bass', 'other'],
  [36, 'Vocal Tenor', 'other'],
  [37, 'Vocal Alto', 'other'],
  [38, 'Vocal Soprano', 'other'],
  [39, 'Banjo', 'plucked'],
  [40, 'Mandolin', 'plucked'],
  [41, 'Ukulele', 'plucked'],
  [42, 'Bass Ukulele', 'plucked'],
  [43, 'Vocal Baritone', 'other'],
  [44, 'Vocal Lead', 'other'],
  [45, 'Mountain Dulcimer', 'string'],
  [46, 'Scratching', 'other'],
  [47, 'Rapping', 'other'],
  [48, 'Vibraphone', 'percussion'],
  [49, 'Conductor', 'other'],
];

export const INSTRUMENTS: readonly Instrument[] = ROWS.map(([code, name, category]) =>
  Object.freeze({ code, name, category }),
);

/** Codes below this were known to 3.6.0–3.8.1 peers; 48 and 49 arrived in 3.8.2. */
export const FIRST_INSTRUMENT_CODE_OF_3_8_2 = 48;

const byCode = new Map<number, Instrument>(INSTRUMENTS.map((i) => [i.code, i]));

export function instrumentByCode(code: number): Instrument | undefined {
  return byCode.get(code);
}

export function isKnownInstrument(code: number): boolean {
  return byCode.has(code);
}

/** Jamulus shows unknown codes as "None"; so do we. */
export function instrumentName(code: number): string {
  return byCode.get(code)?.name ?? 'None';
}

/** Accepts a code ("4") or an English name in any case ("acoustic guitar"). */
export function parseInstrument(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const code = Number(t);
    if (!byCode.has(code)) throw new RangeError(`Unknown instrument code ${t}: codes run from 0 to ${INSTRUMENTS.length - 1}`);
    return code;
  }
  const lower = t.toLowerCase();
  const found = INSTRUMENTS.find((i) => i.name.toLowerCase() === lower);
  if (!found) throw new RangeError(`Unknown instrument "${t}"`);
  return found.code;
}
