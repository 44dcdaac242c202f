// Small pieces the account services share: list paging, Prisma's unique-violation check, JSON-ready conversions.
import type { AppContext } from '../context.js';
import { RelayError } from '../errors.js';

export interface PageQuery {
  page?: number;
  pageSize?: number;
}

export interface PageResult<T> {
  items: T[];
  total: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Prisma `skip`/`take` for a 1-based page; sizes are clamped so a service caller cannot ask for everything at once. */
export function pageArgs(query: PageQuery = {}): { skip: number; take: number } {
  const pageSize = Math.min(Math.max(Math.trunc(query.pageSize ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
  const page = Math.max(Math.trunc(query.page ?? 1), 1);
  return { skip: (page - 1) * pageSize, take: pageSize };
}

/** Prisma's "unique constraint failed" (P2002), whichever database client threw it. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

export const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/**
 * The largest balance, top-up, token quota or code value: 2^53 − 1 units (≈ 18 billion USD), so every amount reads back
 * as an exact JS number and stays an integer in SQLite (past 2^63 it would silently become a REAL). Additions check it
 * where they add, in the same conditional UPDATE.
 */
export const MAX_UNITS = Number.MAX_SAFE_INTEGER;

/** Quota columns are BigInt; every amount the services let in fits a JS number exactly (MAX_UNITS). */
export const units = (value: bigint): number => Number(value);

/** The 400 for an addition that would take a balance past MAX_UNITS. */
export const balanceOverflow = (param: string, balance: string) =>
  new RelayError('invalid_request', `this would take ${balance} above the maximum of ${MAX_UNITS.toLocaleString('en-US')} units`, 400, { param });

/** JSON list columns: a corrupt value reads as empty rather than failing the whole listing. */
export function parseStringList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** What the account services need of the app context; bots and scripts may pass just these two. */
export type ServiceContext = Pick<AppContext, 'db' | 'bus'>;

/** Services that check a guessable secret (a password, a code) also need the guess limiters. */
export type GuessingContext = ServiceContext & Pick<AppContext, 'guesses'>;

/** A rate limit: a whole number ≥ 1, or null (unlimited). The routes' schemas say the same; the bots skip them. */
export function checkLimit(value: number | null | undefined, param: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || value < 1 || value > RATE_LIMIT_MAX) {
    throw new RelayError('invalid_request', `${param} must be a whole number from 1 to ${RATE_LIMIT_MAX}, or null for no limit`, 400, { param });
  }
  return value;
}

export const RATE_LIMIT_MAX = 1_000_000_000;
