// The bot token is part of every Bot API URL, and network errors quote the URL ("request to …/bot<token>/getMe
// failed"). Everything this adapter logs passes through here, so the token never reaches a log line.
import type { BotLogger } from '../core/errors.js';

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('<redacted>');
  return out;
}

/** An error as loggable plain data, with its causes, secrets replaced. */
export function safeError(err: unknown, secrets: readonly string[], depth = 0): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? scrub(err, secrets) : err;
  const out: Record<string, unknown> = { type: err.name, message: scrub(err.message, secrets) };
  if (err.stack) out.stack = scrub(err.stack, secrets);
  const fields = err as unknown as Record<string, unknown>;
  for (const key of ['error_code', 'description', 'method', 'code']) {
    if (typeof fields[key] === 'string' || typeof fields[key] === 'number') out[key] = typeof fields[key] === 'string' ? scrub(fields[key], secrets) : fields[key];
  }
  // grammY's HttpError keeps the network failure in `error`; standard errors use `cause`.
  const inner = fields.error ?? err.cause;
  if (inner !== undefined && depth < 3) out.cause = safeError(inner, secrets, depth + 1);
  return out;
}

/** Wraps a logger so every Error-valued field is replaced by its scrubbed description. */
export function redactingLogger(log: BotLogger, secrets: readonly string[]): BotLogger {
  const clean = (obj: object): object => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) out[key] = value instanceof Error ? safeError(value, secrets) : value;
    return out;
  };
  return {
    info: (obj, msg) => log.info(clean(obj), msg),
    warn: (obj, msg) => log.warn(clean(obj), msg),
    error: (obj, msg) => log.error(clean(obj), msg),
  };
}
