// What a user sees when something fails. A RelayError carries a message written for people, so it becomes a sentence
// (with a hint where the user can do something about it); anything else is our bug: the user gets a reference to
// quote, the log gets the error under the same reference. A stack trace never reaches a chat.
import { randomBytes } from 'node:crypto';
import { RelayError, type ErrorCode } from '../../src/errors.js';
import type { BotContext } from './context.js';

/** A throw from a handler, with the context it happened in (grammY's BotError, made platform-neutral). */
export class BotError extends Error {
  override name = 'BotError';
  constructor(
    readonly error: unknown,
    readonly ctx: BotContext,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** pino-compatible; FastifyBaseLogger and pino loggers fit. */
export interface BotLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  account_quota_exhausted: 'Top up with /recharge, then /redeem your code.',
  token_quota_exhausted: 'Top up with /recharge, then /redeem your code.',
  model_not_in_group: 'See /models for what your group offers.',
  model_not_found: 'See /models for the models you can use.',
  model_not_priced: 'See /models for the models you can use.',
  group_not_allowed: 'See /groups for the groups you can switch to.',
  no_channel: 'Please try again in a little while.',
  upstream_error: 'Please try again in a little while.',
  upstream_timeout: 'Please try again in a little while.',
  rate_limited: 'Please slow down and try again shortly.',
};

/** "quota exhausted" → "Quota exhausted."; a leading name like "gpt-4o" keeps its case. */
export function asSentence(message: string): string {
  const text = message.trim();
  if (!text) return '';
  const first = /^[a-z]+(\s|$)/.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

export function newErrorRef(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The text to show for any failure. Unknown errors are logged here (once) with a fresh reference; RelayErrors are
 * expected outcomes and only logged at warn level when they are the relay's fault (5xx).
 */
export function describeError(err: unknown, log: BotLogger, where: Record<string, unknown> = {}): string {
  const cause = err instanceof BotError ? err.error : err;
  if (cause instanceof RelayError) {
    if (cause.status >= 500) log.warn({ ...where, code: cause.code }, cause.message);
    const hint = HINTS[cause.code];
    return hint ? `${asSentence(cause.message)} ${hint}` : asSentence(cause.message);
  }
  const ref = newErrorRef();
  log.error({ ...where, ref, err: cause }, 'bot handler failed');
  return `Something went wrong (ref ${ref}). Please try again later.`;
}
