// A model's price as the bots show it (/price): the relay's exact ratios, in USD after the group's ratio.
import { parseDecimal } from '../../src/billing/decimal.js';
import { usdPerMillion, usdPerRequest, type ModelPrice as ModelPriceRatios } from '../../src/billing/pricing.js';
import type { ModelPrice } from './backend.js';

/** A model's price as the bots show it: USD per 1M tokens (or per call) after the group's ratio. */
export function priceInGroup(price: ModelPriceRatios, group: string, groupRatio: string): ModelPrice {
  const ratio = parseDecimal(groupRatio);
  const base = { model: price.model, group, groupRatio };
  if (price.perRequestUsd !== undefined) {
    return { ...base, inputUsdPerMillion: null, outputUsdPerMillion: null, perCallUsd: Number(usdPerRequest(price.perRequestUsd, ratio)) };
  }
  return {
    ...base,
    inputUsdPerMillion: Number(usdPerMillion(price.modelRatio, ratio)),
    outputUsdPerMillion: Number(usdPerMillion(price.modelRatio, ratio, price.completionRatio)),
    perCallUsd: null,
  };
}
