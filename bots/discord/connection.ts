// Logging in to Discord until it works: a failed attempt (Discord down, network trouble, a revoked token) is logged
// and retried after a pause that doubles up to a ceiling. Stopping the bot ends the wait at once.
import type { Client } from 'discord.js';
import type { BotLogger } from '../core/index.js';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Resolves true once logged in (READY received), false when stopped first. Never rejects. */
export async function loginWithRetry(client: Client, token: string, log: BotLogger, signal: AbortSignal, backoff: Backoff): Promise<boolean> {
  let wait = backoff.initialMs;
  while (!signal.aborted) {
    try {
      await client.login(token);
      return !signal.aborted;
    } catch (err) {
      if (signal.aborted) return false;
      log.warn({ err: errorSummary(err), platform: 'discord', retryInMs: wait }, 'Discord connection failed; retrying');
      await client.destroy().catch(() => undefined);
      await sleep(wait, signal);
      wait = Math.min(wait * 2, backoff.maxMs);
    }
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Message and codes only: REST errors carry the request, and nothing about a request belongs in a log by default. */
export function errorSummary(err: unknown): { message: string; code?: unknown; status?: unknown } {
  if (!(err instanceof Error)) return { message: String(err) };
  const extra = err as Error & { code?: unknown; status?: unknown };
  return { message: err.message, code: extra.code, status: extra.status };
}
