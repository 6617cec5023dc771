// The one-time claim code: 12 symbols of Crockford's base32 (no I, L, O or U), 60 bits, shown as
// three groups of four. Typed back, it is forgiving: case, spaces and dashes do not matter, and the
// letters people confuse with digits (O, I, L) count as those digits.
import { randomInt } from 'node:crypto';

export const CLAIM_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CLAIM_LENGTH = 12;

/** A fresh code, e.g. `7KQ2-M9XD-4RTB`. */
export function newClaimCode(): string {
  let raw = '';
  for (let i = 0; i < CLAIM_LENGTH; i++) raw += CLAIM_ALPHABET[randomInt(CLAIM_ALPHABET.length)];
  return formatClaimCode(raw);
}

export function formatClaimCode(raw: string): string {
  return raw.match(/.{1,4}/g)!.join('-');
}

/** The canonical form of what someone typed (`7kq2 m9xd 4rtb` → `7KQ2-M9XD-4RTB`), or null if it cannot be a code. */
export function normalizeClaimCode(typed: string): string | null {
  if (typed.length > 64) return null;
  const raw = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (raw.length !== CLAIM_LENGTH) return null;
  for (const c of raw) if (!CLAIM_ALPHABET.includes(c)) return null;
  return formatClaimCode(raw);
}
