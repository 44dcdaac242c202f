// Keys and codes: generated from the CSPRNG, shown once, stored only as a SHA-256 hash. They carry ≥ 256 bits of
// entropy, so a fast hash is safe (no brute force is possible) and keeps the per-request lookup cheap. Passwords,
// which people choose, use scrypt instead (passwords.ts).
import { hash, randomBytes } from 'node:crypto';
import { RelayError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Unbiased base62 string: bytes ≥ 248 are rejected so every character is equally likely. */
export function randomString(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** Relay tokens: `sk-` + 48 base62 characters (≈ 286 bits). Only valid on /v1. */
export const newRelayKey = (): string => `sk-${randomString(48)}`;
/** Management keys: `rsm-` + 48 characters. Only valid on /api. */
export const newManagementKey = (): string => `rsm-${randomString(48)}`;
/** Redemption codes: 32 characters, easy to paste into a chat. */
export const newRedemptionCode = (): string => randomString(32);
/** Account link codes for the bots: short-lived, so shorter. */
export const newLinkCode = (): string => randomString(12);

export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex'); // one-shot: no Hash object per call (this runs on every relay request)
}

/** What we show of a key after creation: enough to recognise it, never enough to use it. */
export function visiblePrefix(secret: string): string {
  return `${secret.slice(0, 7)}…${secret.slice(-4)}`;
}

/**
 * The request's credential: `Authorization: Bearer <key>`, else `x-api-key` / `x-goog-api-key` (SDKs that send those).
 * undefined when none is sent (an empty `Bearer ` counts as none). A header that is sent but cannot hold one key
 * (`Basic …`, `Bearer a b`, two x-api-key headers) is refused with what is wrong (401 invalid_key), not read as "no key".
 */
export function bearerFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  for (const name of ['x-api-key', 'x-goog-api-key']) {
    const value = headers[name];
    if (typeof value !== 'string' || !value.trim()) continue;
    // Node joins a repeated header with ", ": two keys are not one.
    if (/[\s,]/.test(value.trim())) throw malformedCredential(`the ${name} header must hold exactly one key`);
    return value.trim();
  }
  if (auth !== undefined && !/^\s*(Bearer\s*)?$/i.test(String(auth))) {
    throw malformedCredential('the Authorization header must be "Bearer <key>"');
  }
  return undefined;
}

const malformedCredential = (problem: string) => new RelayError('invalid_key', `malformed credentials: ${problem}`);
