// The save path every settings page shares: text from the form → schema validation in one
// transaction → 422 with the form fragment and per-field errors, or the change applied and then a
// 303 (browsers) or the refreshed fragment (htmx).
import type { Request, Response } from 'express';
import { SettingsValidationError, type FieldErrors, type SettingKey } from '../../appliance/src/settings/index.js';
import type { AdminDeps } from './deps.js';
import { echoOf, textPatchFrom, type Submitted } from './forms.js';
import { isHtmx, render } from './render.js';
import { applyChanges, type ApplyOutcome } from './apply-changes.js';

export interface FormPage {
  readonly keys: readonly SettingKey[];
  readonly page: string;
  readonly fragment: string;
  readonly url: string;
  /** Everything the page template needs besides the field views. */
  context(req: Request, res: Response, state: FormState): Promise<Record<string, unknown>>;
  /** Adjusts the typed text before validation (e.g. a "custom…" select with its text box). */
  prepare?(body: unknown, patch: Record<string, string>): void;
}

export interface FormState {
  readonly errors: FieldErrors;
  readonly submitted: Submitted | undefined;
  readonly outcomes: readonly ApplyOutcome[];
  readonly saved: boolean;
}

export const EMPTY_STATE: FormState = { errors: {}, submitted: undefined, outcomes: [], saved: false };

export async function showForm(p: FormPage, req: Request, res: Response, state: FormState = EMPTY_STATE): Promise<void> {
  const saved = state.saved || req.query.saved === '1';
  render(req, res, p.page, await p.context(req, res, { ...state, saved }), { fragment: p.fragment, status: Object.keys(state.errors).length > 0 ? 422 : 200 });
}

/** Returns the changed keys, or null when the form was answered with errors. */
export async function saveForm(d: AdminDeps, p: FormPage, req: Request, res: Response, after?: (changed: readonly SettingKey[]) => Promise<ApplyOutcome[]>): Promise<void> {
  const patch = textPatchFrom(req.body, p.keys);
  p.prepare?.(req.body, patch);
  let changed: readonly SettingKey[];
  try {
    changed = d.store.updateText(patch).changed;
  } catch (e) {
    if (!(e instanceof SettingsValidationError)) throw e;
    await showForm(p, req, res, { errors: e.errors, submitted: echoOf(patch), outcomes: [], saved: false });
    return;
  }
  const outcomes = await (after ?? ((c) => applyChanges(d, c)))(changed);
  if (isHtmx(req)) {
    await showForm(p, req, res, { errors: {}, submitted: undefined, outcomes, saved: true });
    return;
  }
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.target);
  res.redirect(303, `${p.url}?saved=1${failed.length > 0 ? `&failed=${encodeURIComponent(failed.join(','))}` : ''}`);
}
