// Parsing, done once per message: "/cmd args", "/cmd@botname args", and the argument shapes commands share
// (quota amounts, durations like 30d, comma lists). Pure functions, no I/O.
import { QUOTA_PER_USD } from '../../src/billing/decimal.js';
import type { Messages } from './i18n/index.js';

export interface ParsedCommand {
  /** Lower-case command name without the slash. */
  name: string;
  /** The bot named after "@", if any. */
  mention: string | undefined;
  /** Whitespace-separated arguments. */
  args: string[];
  /** Everything after the command, untouched (chat text keeps its line breaks). */
  rest: string;
}

const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+([\s\S]*))?$/;

export function parseCommand(text: string): ParsedCommand | null {
  const match = COMMAND.exec(text.trim());
  if (!match) return null;
  const rest = (match[3] ?? '').trim();
  return {
    name: match[1]!.toLowerCase(),
    mention: match[2],
    args: rest ? rest.split(/\s+/) : [],
    rest,
  };
}

/** A command for another bot in a group ("/balance@otherbot") is not ours. Unknown own name: accept. */
export function isAddressedTo(command: ParsedCommand, botUsername: string | undefined): boolean {
  if (!command.mention || !botUsername) return true;
  return command.mention.toLowerCase() === botUsername.toLowerCase();
}

/** "2500000" → units; "$5" or "5usd" → dollars in units. Null when it is not an amount. */
export function parseQuota(arg: string): number | null {
  const usd = /^\$(\d+(?:\.\d{1,6})?)$/.exec(arg) ?? /^(\d+(?:\.\d{1,6})?)usd$/i.exec(arg);
  if (usd) return Math.round(Number(usd[1]) * QUOTA_PER_USD);
  if (/^\d{1,15}$/.test(arg)) return Number(arg);
  return null;
}

const DURATION_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "12h", "30d", "2w" → milliseconds. Null when it is not a duration. */
export function parseDuration(arg: string): number | null {
  const match = /^(\d{1,5})([hdw])$/i.exec(arg);
  if (!match) return null;
  const amount = Number(match[1]);
  return amount > 0 ? amount * DURATION_MS[match[2]!.toLowerCase()]! : null;
}

export function parseList(arg: string): string[] {
  return arg
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

export interface TokenSpec {
  name: string;
  quota: number | null;
  expiresInMs: number | null;
  models: string[];
}

/** Why the arguments make no sense, in the user's words. */
export type SpecProblem = (t: Messages['tokens']) => string;

/**
 * `/token new <name> [quota] [expiry] [models]`: after the name, each argument is recognised by its shape (an amount,
 * a duration, otherwise a model list), so the optional ones can be left out or given in any order.
 * Returns the problem instead when the arguments do not make sense.
 */
export function parseTokenSpec(args: string[]): TokenSpec | SpecProblem {
  const [name, ...more] = args;
  if (!name) return (t) => t.specUsage;
  if (name.length > 64) return (t) => t.nameTooLong;
  const spec: TokenSpec = { name, quota: null, expiresInMs: null, models: [] };
  for (const arg of more) {
    const quota = parseQuota(arg);
    if (quota !== null) {
      if (spec.quota !== null) return (t) => t.twoQuotas(arg);
      if (quota <= 0) return (t) => t.quotaZero;
      spec.quota = quota;
      continue;
    }
    const duration = parseDuration(arg);
    if (duration !== null) {
      if (spec.expiresInMs !== null) return (t) => t.twoExpiries(arg);
      spec.expiresInMs = duration;
      continue;
    }
    spec.models.push(...parseList(arg));
  }
  return spec;
}

/** 1250000 → "1,250,000". */
export function formatNumber(n: number): string {
  return Math.trunc(n).toLocaleString('en-US');
}

/** Dollars to the micro-dollar (1 unit = $0.000002), trailing zeros dropped but cents kept: $2.50, $0.075, $0.000002. */
export function formatUsd(usd: number): string {
  const [whole, frac = ''] = usd.toFixed(6).split('.');
  return `$${whole}.${frac.replace(/0+$/, '').padEnd(2, '0')}`;
}

/** A long text shortened to `max` characters with "…" (an upstream's error in a list, a platform's description limit). */
export function clip(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
