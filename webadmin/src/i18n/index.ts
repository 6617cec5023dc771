// English and French (the founding guide is French). Messages are looked up by key; French falls
// back to English for anything not translated, and a unit test lists what is missing.
import { EN } from './en.js';
import { FR, FR_SETTINGS } from './fr.js';

export type Lang = 'en' | 'fr';
export type MessageKey = keyof typeof EN;
export const LANGS: readonly Lang[] = ['en', 'fr'];

export interface Translator {
  readonly lang: Lang;
  (key: MessageKey, vars?: Readonly<Record<string, string | number>>): string;
  /** A setting's label in this language, the schema's English label otherwise. */
  setting(key: string, english: string): string;
  settingHelp(key: string, english: string): string;
}

function fill(text: string, vars?: Readonly<Record<string, string | number>>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function translator(lang: Lang): Translator {
  const table: Readonly<Record<string, string>> = lang === 'fr' ? FR : EN;
  const t = ((key: MessageKey, vars?: Readonly<Record<string, string | number>>) => fill(table[key] ?? EN[key] ?? key, vars)) as Translator;
  Object.assign(t, {
    lang,
    setting: (key: string, english: string) => (lang === 'fr' ? FR_SETTINGS[key]?.[0] ?? english : english),
    settingHelp: (key: string, english: string) => (lang === 'fr' ? FR_SETTINGS[key]?.[1] ?? english : english),
  });
  return t;
}

/** The language for a visitor who has not chosen one yet (first run). */
export function langFromAcceptLanguage(header: string | undefined): Lang {
  const first = (header ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('fr') ? 'fr' : 'en';
}
