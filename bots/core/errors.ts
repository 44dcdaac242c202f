// What a user sees when something fails. A RelayError is worded by its code in the user's language (i18n), with what
// to do next; anything else is our bug: the user gets a reference to
// quote, the log gets the error under the same reference. A stack trace never reaches a chat.
import { randomBytes } from 'node:crypto';
import { RelayError } from '../../src/errors.js';
import type { Messages } from './i18n/index.js';
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

export function newErrorRef(): string {
  return randomBytes(4).toString('hex');
}

/**
 * The text to show for any failure, in the user's language. A RelayError is worded by its code with the next step;
 * unknown errors are logged here (once) with a fresh reference. RelayErrors are expected outcomes and only logged at
 * warn level when they are the relay's fault (5xx).
 */
export function describeError(err: unknown, log: BotLogger, t: Messages, where: Record<string, unknown> = {}): string {
  const cause = err instanceof BotError ? err.error : err;
  if (cause instanceof RelayError) {
    if (cause.status >= 500) log.warn({ ...where, code: cause.code }, cause.message);
    return t.errors[cause.code]({ message: cause.message, details: cause.details });
  }
  const ref = newErrorRef();
  log.error({ ...where, ref, err: cause }, 'bot handler failed');
  return t.somethingWrong(ref);
}
