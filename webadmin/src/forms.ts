// Form fields from the settings schema: a page lists keys, and label, input kind, limits, options
// and help all come from the schema entry, so a setting is declared once. Secrets render without
// their value; an empty secret field in a submission means "keep the stored one".
import {
  SETTINGS, formHint, isSecret, isoFromCountry, type FlatSettings, type SettingKey,
} from '../../appliance/src/settings/index.js';
import type { FieldErrors } from '../../appliance/src/settings/index.js';
import type { Translator } from './i18n/index.js';

export interface OptionView {
  readonly value: string;
  readonly label: string;
  readonly selected: boolean;
}

export interface FieldView {
  readonly key: string;
  readonly id: string;
  readonly label: string;
  readonly help: string;
  readonly input: 'number' | 'text' | 'textarea' | 'password' | 'checkbox' | 'select';
  readonly value: string;
  readonly checked: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly maxLength?: number;
  readonly placeholder?: string;
  readonly options: readonly OptionView[];
  readonly error: string | undefined;
  /** For secrets: whether one is stored (shown as "set", never the value). */
  readonly isSet: boolean;
}

/** What the person typed, echoed back after a failed validation instead of the stored value. */
export type Submitted = Readonly<Record<string, string>>;

function formatValue(key: SettingKey, values: FlatSettings): string {
  const def = SETTINGS[key];
  const v = values[key];
  // Countries travel as ISO codes in the UI; the store keeps Qt numbers (the wire's values).
  if (def.field.kind === 'country') return isoFromCountry(v as number) ?? String(v);
  return def.field.format(v as never);
}

export function fieldView(key: SettingKey, values: FlatSettings, t: Translator, errors: FieldErrors = {}, submitted?: Submitted): FieldView {
  const def = SETTINGS[key];
  const hint = formHint(key);
  const secret = isSecret(key);
  const value = secret ? '' : submitted?.[key] ?? formatValue(key, values);
  const base = {
    key,
    id: `f-${key.replace('.', '-')}`,
    label: t.setting(key, def.label),
    help: t.settingHelp(key, def.help),
    error: errors[key],
    isSet: secret && values[key] !== '',
    value,
    checked: false,
    options: [] as OptionView[],
  };
  switch (hint.input) {
    case 'number':
      return { ...base, input: 'number', min: hint.min, max: hint.max };
    case 'password':
      return { ...base, input: 'password', maxLength: hint.maxLength };
    case 'checkbox':
      return { ...base, input: 'checkbox', checked: value === 'true' };
    case 'select': {
      const options = hint.options.map((o) => {
        const v = def.field.kind === 'country' ? isoFromCountry(Number(o.value)) ?? o.value : o.value;
        return { value: v, label: def.field.kind === 'country' && v !== '0' ? `${o.label} (${v})` : o.label, selected: v === value };
      });
      return { ...base, input: 'select', options };
    }
    case 'text':
      return {
        ...base,
        input: hint.multiline ? 'textarea' : 'text',
        maxLength: hint.maxLength,
        ...(hint.placeholder !== undefined ? { placeholder: hint.placeholder } : {}),
      };
    case 'mix':
      throw new Error(`${key} has no form field; the mix page edits it`);
  }
}

export function fieldViews(keys: readonly SettingKey[], values: FlatSettings, t: Translator, errors?: FieldErrors, submitted?: Submitted): Record<string, FieldView> {
  return Object.fromEntries(keys.map((k) => [k, fieldView(k, values, t, errors, submitted)]));
}

/** A form value: checkboxes come as ['false', 'true'] (hidden input, then the box), so the last one wins. */
function lastText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0 && typeof v[v.length - 1] === 'string') return v[v.length - 1] as string;
  return undefined;
}

/**
 * The text patch for `keys` from a form body. Missing fields stay unchanged; empty secret fields
 * keep the stored secret, so saving a page never wipes a password nobody retyped.
 */
export function textPatchFrom(body: unknown, keys: readonly SettingKey[]): Record<string, string> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = lastText(b[k]);
    if (v === undefined) continue;
    if (isSecret(k) && v === '') continue;
    out[k] = v;
  }
  return out;
}

/** The typed text without secrets, for re-rendering a failed form. */
export function echoOf(patch: Readonly<Record<string, string>>): Submitted {
  return Object.fromEntries(Object.entries(patch).filter(([k]) => !(k in SETTINGS) || !isSecret(k as SettingKey)));
}

export function formString(body: unknown, name: string): string {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return lastText(b[name]) ?? '';
}
