// What a call costs, in quota units: the one function both the reservation (src/relay/admit.ts, from the estimate) and
// the settle (src/relay/pipeline.ts, from the billed usage) go through, so the two can never price a call differently.
//
//   token-priced model   ceil( group × model × (prompt + completion × completion + cacheRead × cacheRead + cacheWrite × cacheWrite) )
//   per-request model    ceil( group × USD price × 500,000 ) × requests
//
// The exact arithmetic is decimal.ts's; which price applies is pricing.ts's; what usage is billed is billed-usage.ts's.
import { computeQuota, RATIO_SCALE, type PriceRatios, type Scaled } from './decimal.js';
import type { ModelPrice } from './pricing.js';
import type { Usage } from '../providers/types.js';

/** What is charged for: token counts (token-priced models) and a number of requests (per-request models). */
export interface Billable {
  usage: Usage;
  /** Requests priced per call that count (images: n); 0 when a per-request call failed. */
  requests: number;
}

/** A model's price in one group (the payer's group ratio applies to every price). */
export function ratiosOf(price: ModelPrice, groupRatio: Scaled): PriceRatios {
  return {
    group: groupRatio,
    model: price.modelRatio,
    completion: price.completionRatio,
    cacheRead: price.cacheReadRatio,
    cacheWrite: price.cacheWriteRatio,
    perRequestUsd: price.perRequestUsd,
  };
}

/** Quota units for `billable` at this price in this group (0 when nothing is billable). */
export function costOf(price: ModelPrice, groupRatio: Scaled, billable: Billable): number {
  if (price.perRequestUsd !== undefined) {
    return billable.requests > 0 ? computeQuota(ratiosOf(price, groupRatio), NO_TOKENS) * billable.requests : 0;
  }
  return computeQuota(ratiosOf(price, groupRatio), billable.usage);
}

/**
 * The most a call can cost before it ran: its local estimate, every request it asks for. Where writing a prompt to the
 * cache costs more than reading it fresh (Anthropic: 1.25×), any of its tokens may be written, so all are priced so.
 */
export function reservationOf(price: ModelPrice, groupRatio: Scaled, estimate: { prompt: number; completion: number }, requests: number): number {
  const cacheWritesCostMore = price.cacheWriteRatio > RATIO_SCALE;
  return costOf(price, groupRatio, {
    usage: {
      promptTokens: cacheWritesCostMore ? 0 : estimate.prompt,
      completionTokens: estimate.completion,
      cacheReadTokens: 0,
      cacheWriteTokens: cacheWritesCostMore ? estimate.prompt : 0,
    },
    requests,
  });
}

const NO_TOKENS: Usage = { promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
