// What a model costs: the admin's overrides (options modelRatios / completionRatios / modelPrices / cache ratios) win
// over the shipped catalogue (catalog.ts). A model is matched exactly, else as a dated snapshot of a listed name
// ("gpt-4o-mini-2024-07-18" → "gpt-4o-mini", "claude-3-5-haiku-20241022", "mistral-large-latest"). Any other variant
// ("gpt-5.2", "kimi-k2-turbo-preview") is NOT priced as its base: newer variants are often dearer, so they need a price. A model with no price is refused unless the admin set defaultModelRatio:
// no silent free calls. Resolutions are cached and dropped whenever options change.
import type { OptionsStore, Options } from '../services/options.js';
import { RelayError } from '../errors.js';
import { parseDecimal, formatDecimal, RATIO_SCALE, type Scaled } from './decimal.js';
import {
  DEFAULT_MODEL_RATIOS,
  DEFAULT_COMPLETION_RATIOS,
  DEFAULT_MODEL_PRICES,
  DEFAULT_CACHE_READ_RATIOS,
  DEFAULT_CACHE_WRITE_RATIOS,
  DEFAULT_PRICE_TIERS,
} from './catalog.js';

export interface ModelPrice {
  model: string;
  modelRatio: Scaled;
  completionRatio: Scaled;
  cacheReadRatio: Scaled;
  cacheWriteRatio: Scaled;
  /** USD per request (models priced by call); token ratios then do not apply. */
  perRequestUsd?: Scaled;
  /** Where the price came from, for the pricing page and logs. */
  source: 'admin' | 'catalog' | 'default';
  /**
   * Long-prompt tiers, by ascending threshold: a call whose prompt (cache reads and writes included) is above a tier's
   * `above` tokens is priced WHOLE at that tier's ratios (the highest such tier), as Gemini 2.5 Pro and Claude Sonnet's
   * 1M context are. Empty for most models. cost.ts applies them.
   */
  tiers?: readonly PriceTier[];
}

/** A tier's ratios, complete: what the admin or catalogue left out is the base price's. */
export interface PriceTier {
  above: number;
  modelRatio: Scaled;
  completionRatio: Scaled;
  cacheReadRatio: Scaled;
  cacheWriteRatio: Scaled;
}

/** A tier as stored (option priceTiers, catalogue): decimal ratios; the optional ones default to the base price's. */
export interface TierSpec {
  above: number;
  modelRatio: string | number;
  completionRatio?: string | number;
  cacheReadRatio?: string | number;
  cacheWriteRatio?: string | number;
}

type DecimalMap = Record<string, string | number>;

/** Suffixes that mark a snapshot of the same model, priced like it. */
const SNAPSHOT_SUFFIX = /^-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$/;

/**
 * Exact match, else the longest key of which the model is a dated snapshot, else (for family maps such as cache ratios,
 * when allowed) the longest key it starts with, else the "*" entry.
 */
export function lookup(map: DecimalMap, model: string, family = true): string | number | undefined {
  if (Object.hasOwn(map, model)) return map[model];
  let best: string | undefined;
  for (const key of Object.keys(map)) {
    if (key === '*' || !model.startsWith(key) || (best !== undefined && key.length <= best.length)) continue;
    if (family || SNAPSHOT_SUFFIX.test(model.slice(key.length))) best = key;
  }
  if (!family) return best !== undefined ? map[best] : undefined;
  return best !== undefined ? map[best] : map['*'];
}

export class Pricing {
  #cache = new Map<string, ModelPrice | null>();

  constructor(readonly options: Pick<OptionsStore, 'current' | 'onChange'>) {
    options.onChange(() => this.#cache.clear());
  }

  /** The price of a model, or a 400 naming it when it has none. */
  resolve(model: string): ModelPrice {
    const price = this.find(model);
    if (!price) {
      throw new RelayError(
        'model_not_priced',
        `model ${model} has no price set; ask the administrator to set its ratio (options modelRatios) before it can be used`,
      );
    }
    return price;
  }

  find(model: string): ModelPrice | undefined {
    let price = this.#cache.get(model);
    if (price === undefined) {
      price = compute(this.options.current, model);
      if (this.#cache.size > 10_000) this.#cache.clear(); // model names come from clients: bound the cache
      this.#cache.set(model, price);
    }
    return price ?? undefined;
  }

  /** Every model with a price (catalogue + admin), for the pricing page. */
  pricedModels(): string[] {
    const o = this.options.current;
    return [...new Set([...Object.keys(DEFAULT_MODEL_RATIOS), ...Object.keys(DEFAULT_MODEL_PRICES), ...Object.keys(o.modelRatios), ...Object.keys(o.modelPrices)])]
      .filter((m) => m !== '*')
      .sort();
  }
}

function compute(o: Readonly<Options>, model: string): ModelPrice | null {
  // Precedence: admin per-request price, admin ratio, catalogue per-request price, catalogue ratio, admin default.
  let perRequest: string | number | undefined;
  let modelRatio: string | number | undefined;
  let source: ModelPrice['source'];
  if ((perRequest = lookup(o.modelPrices, model, false)) !== undefined) source = 'admin';
  else if ((modelRatio = lookup(o.modelRatios, model, false)) !== undefined) source = 'admin';
  else if ((perRequest = lookup(DEFAULT_MODEL_PRICES, model, false)) !== undefined) source = 'catalog';
  else if ((modelRatio = lookup(DEFAULT_MODEL_RATIOS, model, false)) !== undefined) source = 'catalog';
  else if (o.defaultModelRatio !== null) {
    modelRatio = o.defaultModelRatio;
    source = 'default';
  } else return null;

  const completion = lookup(o.completionRatios, model, false) ?? lookup(DEFAULT_COMPLETION_RATIOS, model, false) ?? 1;
  const cacheRead = lookup(o.cacheReadRatios, model) ?? lookup(DEFAULT_CACHE_READ_RATIOS, model) ?? 1;
  const cacheWrite = lookup(o.cacheWriteRatios, model) ?? lookup(DEFAULT_CACHE_WRITE_RATIOS, model) ?? 1;
  const base = {
    modelRatio: parseDecimal(modelRatio ?? 0),
    completionRatio: parseDecimal(completion),
    cacheReadRatio: parseDecimal(cacheRead),
    cacheWriteRatio: parseDecimal(cacheWrite),
  };
  return {
    model,
    ...base,
    ...(perRequest !== undefined ? { perRequestUsd: parseDecimal(perRequest) } : {}),
    source,
    tiers: perRequest !== undefined ? [] : tiersOf(tierSpecs(o, model, source), base),
  };
}

/**
 * Tiers belong to the price they come with: the admin's own (option priceTiers; an empty list means none) win; else the
 * catalogue's, only when the base ratio is the catalogue's too (an admin's ratio for the model would otherwise be mixed
 * with the catalogue's long-prompt price).
 */
function tierSpecs(o: Readonly<Options>, model: string, source: ModelPrice['source']): readonly TierSpec[] {
  const admin = lookupTiers(o.priceTiers, model);
  if (admin !== undefined) return admin;
  return source === 'catalog' ? (lookupTiers(DEFAULT_PRICE_TIERS, model) ?? []) : [];
}

function lookupTiers(map: Readonly<Record<string, readonly TierSpec[]>>, model: string): readonly TierSpec[] | undefined {
  if (Object.hasOwn(map, model)) return map[model];
  let best: string | undefined;
  for (const key of Object.keys(map)) {
    if (!model.startsWith(key) || (best !== undefined && key.length <= best.length)) continue;
    if (SNAPSHOT_SUFFIX.test(model.slice(key.length))) best = key;
  }
  return best !== undefined ? map[best] : undefined;
}

function tiersOf(specs: readonly TierSpec[], base: Omit<PriceTier, 'above'>): PriceTier[] {
  const ratio = (value: string | number | undefined, fallback: Scaled) => (value === undefined ? fallback : parseDecimal(value));
  return specs
    .map((t) => ({
      above: t.above,
      modelRatio: parseDecimal(t.modelRatio),
      completionRatio: ratio(t.completionRatio, base.completionRatio),
      cacheReadRatio: ratio(t.cacheReadRatio, base.cacheReadRatio),
      cacheWriteRatio: ratio(t.cacheWriteRatio, base.cacheWriteRatio),
    }))
    .sort((a, b) => a.above - b.above);
}

/** Display helper: USD per call of a per-request model in a group. */
export function usdPerRequest(perRequestUsd: Scaled, groupRatio: Scaled): string {
  return formatDecimal((perRequestUsd * groupRatio) / RATIO_SCALE);
}

/** Display helpers: USD per 1M tokens for a ratio (ratio 1 = 0.002 USD / 1K tokens = 2 USD / 1M). */
export function usdPerMillion(modelRatio: Scaled, groupRatio: Scaled, multiplier: Scaled = 1_000_000_000n): string {
  // 2 USD per 1M tokens per unit of ratio; three scaled factors → divide by 10^18 after multiplying by 2.
  const scaled = (2n * modelRatio * groupRatio * multiplier) / 1_000_000_000_000_000_000n;
  return formatDecimal(scaled);
}
