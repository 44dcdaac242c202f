// What a call costs, in quota units: the one function both the reservation (src/relay/admit.ts, from the estimate) and
// the settle (src/relay/pipeline.ts, from the billed usage) go through, so the two can never price a call differently.
//
//   token-priced model   ceil( group × model × (prompt + completion × completion + cacheRead × cacheRead + cacheWrite × cacheWrite) )
//   per-request model    ceil( group × USD price × 500,000 ) × requests
//
// A model with long-prompt tiers (pricing.ts) is priced whole at the tier its prompt falls in: the billed prompt at
// settle, and at reservation the estimate's (an upper bound of the prompt), or a lower tier where that could cost more.
//
// The exact arithmetic is decimal.ts's; which price applies is pricing.ts's; what usage is billed is billed-usage.ts's.
import { computeQuota, RATIO_SCALE, type PriceRatios, type Scaled } from './decimal.js';
import type { ModelPrice, PriceTier } from './pricing.js';
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

/** The prompt a tier threshold is compared with: every input token, read from or written to a cache or not. */
export function promptOf(usage: Usage): number {
  return usage.promptTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}

/** The price for a call with this prompt: the highest tier the prompt is above, else the base price. */
export function priceAt(price: ModelPrice, prompt: number): ModelPrice {
  const tiers = price.tiers ?? [];
  let tier: PriceTier | undefined;
  for (const t of tiers) if (prompt > t.above) tier = t;
  if (!tier) return price;
  const { above: _, ...ratios } = tier;
  return { ...price, ...ratios, tiers: [] };
}

/** Quota units for `billable` at this price in this group (0 when nothing is billable). */
export function costOf(price: ModelPrice, groupRatio: Scaled, billable: Billable): number {
  if (price.perRequestUsd !== undefined) {
    return billable.requests > 0 ? computeQuota(ratiosOf(price, groupRatio), NO_TOKENS) * billable.requests : 0;
  }
  return computeQuota(ratiosOf(priceAt(price, promptOf(billable.usage)), groupRatio), billable.usage);
}

/**
 * The most a call can cost before it ran: its local estimate, every request it asks for. Where writing a prompt to the
 * cache costs more than reading it fresh (Anthropic: 1.25×), any of its tokens may be written, so all are priced so.
 */
export function reservationOf(price: ModelPrice, groupRatio: Scaled, estimate: { prompt: number; completion: number }, requests: number): number {
  // The real prompt may be anywhere up to the estimate. Published tiers only cost more, so the estimate's own tier is
  // the most; a tier cheaper than the one below it (an admin's choice) must not let a smaller prompt cost more than
  // was held, so each lower tier is priced at its own largest prompt too.
  let most = flatReservation(priceAt(price, estimate.prompt), groupRatio, estimate, requests);
  for (const tier of price.tiers ?? []) {
    if (tier.above >= estimate.prompt) break;
    const below = priceAt(price, tier.above); // the band that ends at this threshold, at its largest prompt
    most = Math.max(most, flatReservation(below, groupRatio, { ...estimate, prompt: tier.above }, requests));
  }
  return most;
}

function flatReservation(price: ModelPrice, groupRatio: Scaled, estimate: { prompt: number; completion: number }, requests: number): number {
  const cacheWritesCostMore = price.cacheWriteRatio > RATIO_SCALE;
  return costOf({ ...price, tiers: [] }, groupRatio, {
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
