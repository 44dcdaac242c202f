// Prompt-cache affinity: the calls of one conversation go to the same channel (among equal priorities) and the same
// key while those stay healthy, so the upstream's prompt cache stays warm. Rendezvous (highest-random-weight) hashing:
// every instance computes the same choice from the affinity string alone, and when a key drops out only the
// conversations that were on it move.
import { createHash } from 'node:crypto';
import type { RelayCall } from './call.js';

/** A uniform number in (0, 1) from (affinity, item): the first 52 bits of a SHA-256. */
function unit(affinity: string, id: number | null): number {
  const digest = createHash('sha256').update(`${affinity}\u0000${id ?? '-'}`).digest();
  const bits = digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4); // 52 bits
  return (bits + 0.5) / 2 ** 52;
}

/** The item with the highest score for this affinity. */
export function rendezvousPick<T extends { id: number | null }>(items: readonly T[], affinity: string): T {
  let best = items[0]!;
  let bestScore = -1;
  for (const item of items) {
    const score = unit(affinity, item.id);
    if (score > bestScore) [best, bestScore] = [item, score];
  }
  return best;
}

/**
 * Items ordered by weighted rendezvous score (-w / ln u: each item first for a share of affinities proportional to its
 * weight); weight 0 last, as in the random order.
 */
export function rendezvousOrder<T extends { id: number; weight: number }>(items: readonly T[], affinity: string): T[] {
  return items
    .map((item) => ({ item, score: item.weight > 0 ? -item.weight / Math.log(unit(affinity, item.id)) : -1 - unit(affinity, item.id) }))
    .sort((a, b) => b.score - a.score)
    .map((x) => x.item);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value.slice(0, 256) : undefined);

/**
 * What ties this call to earlier ones, if anything: OpenAI's `prompt_cache_key` or `user`, Anthropic's
 * `metadata.user_id`, or the bot conversation; always within the paying user (two users never share a slot).
 */
export function affinityOf(call: Pick<RelayCall, 'body' | 'payer' | 'conversation'>): string | undefined {
  const body = call.body;
  const metadata = body.metadata as Record<string, unknown> | undefined;
  const hint =
    text(body.prompt_cache_key) ??
    text(body.user) ??
    (metadata && typeof metadata === 'object' ? text(metadata.user_id) : undefined) ??
    (call.conversation !== undefined ? `conversation:${call.conversation}` : undefined);
  return hint === undefined ? undefined : `${call.payer.userId}\u0000${hint}`;
}
