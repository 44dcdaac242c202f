// Admin settings (the Option table, one JSON value per key), held in memory because the relay reads them on every
// request. Writes go to the database first, then every instance reloads (InvalidationBus topic "options").
import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import type { Db } from '../db/client.js';
import type { InvalidationBus } from '../cache/bus.js';
import { RelayError } from '../errors.js';
import { normalizeRatio } from './ratios.js';

/** A ratio or price as services/ratios.ts defines it: a JSON number or a decimal string; checked exactly on update. */
const Ratio = Type.Union([Type.Number({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 40 })]);
const RatioMap = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Ratio);

export const OptionsSchema = Type.Object(
  {
    /** Model ratio per model (1 = 0.002 USD / 1K tokens = 1 quota unit per token). Overrides the built-in catalogue. */
    modelRatios: RatioMap,
    /** Completion ratio per model (completion tokens cost this many times a prompt token). */
    completionRatios: RatioMap,
    /** Fixed USD price per request for models priced by call (image generation and the like). */
    modelPrices: RatioMap,
    /** Cache-read / cache-write token ratios relative to a prompt token, per model ("*" = default). */
    cacheReadRatios: RatioMap,
    cacheWriteRatios: RatioMap,
    /** Ratio for models with no price at all. null = refuse them (no silent free calls). */
    defaultModelRatio: Type.Union([Ratio, Type.Null()]),
    /** Completion tokens reserved when a request does not say max_tokens. */
    defaultCompletionEstimate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Where users buy redemption codes, and what they pay for 1 USD of quota (in the operator's currency). */
    topUpLink: Type.String(),
    exchangeRate: Type.Number({ minimum: 0 }),
    currency: Type.String({ maxLength: 8 }),
    /** How many other channels to try after a retriable failure. */
    retryCount: Type.Integer({ minimum: 0, maximum: 10 }),
    /** Disable a channel (or key) when the upstream says its key is invalid or out of credit. */
    autoDisableChannels: Type.Boolean(),
    /** Re-test auto-disabled channels every N seconds and re-enable those that pass; 0 = never. */
    channelRetestSeconds: Type.Integer({ minimum: 0, maximum: 86_400 }),
    /** Prohibited-word filter (case-insensitive substrings) on prompts, optionally on completions. */
    prohibitedWords: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 10_000 }),
    checkCompletions: Type.Boolean(),
    /** Bots: new accounts from the chat, default chat model, auto-title, history size. */
    botRegistration: Type.Boolean(),
    botNewUserQuota: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    botChatModel: Type.String(),
    botTitleModel: Type.String(),
    botAutoTitle: Type.Boolean(),
    botHistoryMessages: Type.Integer({ minimum: 1, maximum: 200 }),
  },
  { additionalProperties: false },
);

export type Options = Static<typeof OptionsSchema>;
export type OptionKey = keyof Options;

export const DEFAULT_OPTIONS: Options = {
  modelRatios: {},
  completionRatios: {},
  modelPrices: {},
  cacheReadRatios: {},
  cacheWriteRatios: {},
  defaultModelRatio: null,
  defaultCompletionEstimate: 4096,
  topUpLink: '',
  exchangeRate: 7,
  currency: 'CNY',
  retryCount: 2,
  autoDisableChannels: true,
  channelRetestSeconds: 0,
  prohibitedWords: [],
  checkCompletions: false,
  botRegistration: false,
  botNewUserQuota: 0,
  botChatModel: 'gpt-4o-mini',
  botTitleModel: 'gpt-4o-mini',
  botAutoTitle: false,
  botHistoryMessages: 20,
};

const PatchSchema = Type.Partial(OptionsSchema);

export class OptionsStore {
  #current: Options = { ...DEFAULT_OPTIONS };
  #listeners = new Set<(options: Options) => void>();

  constructor(
    private readonly db: Db,
    private readonly bus: InvalidationBus,
  ) {
    bus.subscribe('options', () => void this.load().catch(() => {}));
  }

  get current(): Readonly<Options> {
    return this.#current;
  }

  get<K extends OptionKey>(key: K): Options[K] {
    return this.#current[key];
  }

  /** Called when options change (after load). Used by caches derived from options (pricing, word filter). */
  onChange(listener: (options: Options) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async load(): Promise<Options> {
    const rows = await this.db.prisma.option.findMany();
    const next: Options = { ...DEFAULT_OPTIONS };
    for (const row of rows) {
      if (!(row.key in DEFAULT_OPTIONS)) continue; // a key from a newer/older version: ignore, keep the row
      try {
        const value: unknown = JSON.parse(row.value);
        const candidate = { ...next, [row.key]: value };
        if (Value.Check(OptionsSchema, candidate)) Object.assign(next, { [row.key]: value });
      } catch {
        // an unparsable stored value falls back to the default rather than taking the relay down
      }
    }
    this.#current = next;
    for (const listener of this.#listeners) listener(next);
    return next;
  }

  /** Validates the whole patch first (400 naming the field), then writes every key in one transaction. */
  async update(patch: unknown): Promise<Options> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new RelayError('invalid_request', 'options must be a JSON object of {key: value}');
    }
    for (const key of Object.keys(patch)) {
      if (!(key in DEFAULT_OPTIONS)) {
        throw new RelayError('invalid_request', `unknown option "${key}"`, 400, { param: key });
      }
    }
    const first = Value.Errors(PatchSchema, patch)[0];
    if (first) {
      const param = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
      throw new RelayError('invalid_request', `option ${param || '(root)'} ${first.message}`, 400, { param });
    }
    const entries = Object.entries(withExactRatios(patch as Partial<Options>));
    await this.db.prisma.$transaction(
      entries.map(([key, value]) =>
        this.db.prisma.option.upsert({
          where: { key },
          create: { key, value: JSON.stringify(value) },
          update: { value: JSON.stringify(value) },
        }),
      ),
    );
    this.bus.publish('options');
    return this.load();
  }
}

const RATIO_KEYS = ['modelRatios', 'completionRatios', 'modelPrices', 'cacheReadRatios', 'cacheWriteRatios'] as const;

/**
 * Ratios and prices follow services/ratios.ts, as group ratios do: refused here (400 naming `map.model`) rather than
 * rounded at billing time. Decimal strings are stored canonical ("0.50" → "0.5"); numbers as sent (they are exact).
 */
function withExactRatios(patch: Partial<Options>): Partial<Options> {
  const exact = (value: number | string, param: string): number | string => {
    const canonical = normalizeRatio(value, param, `option ${param}`);
    return typeof value === 'number' ? value : canonical;
  };
  const out: Partial<Options> = { ...patch };
  for (const key of RATIO_KEYS) {
    const map = patch[key];
    if (map) out[key] = Object.fromEntries(Object.entries(map).map(([model, value]) => [model, exact(value, `${key}.${model}`)]));
  }
  if (patch.defaultModelRatio !== undefined && patch.defaultModelRatio !== null) {
    out.defaultModelRatio = exact(patch.defaultModelRatio, 'defaultModelRatio');
  }
  return out;
}
