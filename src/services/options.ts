// Admin settings (the Option table, one JSON value per key), held in memory because the relay reads them on every
// request. Writes go to the database first, then every instance reloads (InvalidationBus topic "options").
import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import type { Db } from '../db/client.js';
import type { InvalidationBus } from '../cache/bus.js';
import { RelayError } from '../errors.js';
import { normalizeRatio, RatioSchema } from './ratios.js';
import type { TierSpec } from '../billing/pricing.js';

/** A ratio or price as services/ratios.ts defines it: a JSON number or a decimal string; checked exactly on update. */
const Ratio = RatioSchema;
const RatioMap = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Ratio);

/** One long-prompt tier: above how many prompt tokens, and the ratios that then apply to the whole call. */
export const PriceTierSchema = Type.Object(
  {
    above: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'prompt tokens (cache reads and writes included) above which the tier applies' }),
    modelRatio: Ratio,
    completionRatio: Type.Optional(Ratio),
    cacheReadRatio: Type.Optional(Ratio),
    cacheWriteRatio: Type.Optional(Ratio),
  },
  { additionalProperties: false },
);
const TierList = Type.Array(PriceTierSchema, { maxItems: 8 });

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
    /**
     * Long-prompt tiers per model (billing/pricing.ts): above `above` prompt tokens the whole call is priced at the
     * tier's ratios; completion and cache ratios left out are the model's own. Replaces the catalogue's tiers for the model
     * ([] = none).
     */
    priceTiers: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), TierList),
    /** Ratio for models with no price at all. null = refuse them (no silent free calls). */
    defaultModelRatio: Type.Union([Ratio, Type.Null()]),
    /**
     * The output allowance of a request that sets no limit, for a model whose output maximum is unknown (neither in
     * maxOutputTokens nor in the catalogue): reserved, and sent upstream as the limit (billing/allowance.ts).
     */
    defaultCompletionEstimate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Output maximum per model (tokens), over the catalogue's: what a request without a limit may generate. */
    maxOutputTokens: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    /** Where users buy redemption codes, and what they pay for 1 USD of quota (in the operator's currency). */
    topUpLink: Type.String(),
    exchangeRate: Type.Number({ minimum: 0 }),
    currency: Type.String({ maxLength: 8 }),
    /** How many other channels to try after a retriable failure. */
    retryCount: Type.Integer({ minimum: 0, maximum: 10 }),
    /** Disable a channel (or key) when the upstream says its key is invalid or out of credit. */
    autoDisableChannels: Type.Boolean(),
    /** Circuit breaker (relay/breaker.ts): failures in a row that cool a key down, the first and the longest cooldown. */
    breakerThreshold: Type.Integer({ minimum: 1, maximum: 1000 }),
    breakerCooldownSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
    breakerMaxCooldownSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86_400 }),
    /** The kinds of failure the breaker counts. */
    breakerFaults: Type.Array(Type.Enum(['server_error', 'overloaded', 'timeout', 'connection', 'rate_limited']), { maxItems: 5, uniqueItems: true }),
    /** Channel incidents (cooled down, disabled, recovered) are POSTed here as JSON too; '' = off. */
    alertWebhookUrl: Type.String({ maxLength: 2000, pattern: '^(https?://\\S+)?$' }),
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
    /** Bots: where questions with images go, and whether answers end with a receipt (users may choose with /receipt). */
    botVisionModel: Type.String(),
    botReceipts: Type.Boolean(),
    /** Web console: anyone may create an account from the sign-in page (limited per client address). */
    allowRegistration: Type.Boolean(),
    /** The Telegram bot's username (without @), for the console's t.me deep link when linking a chat account. */
    telegramBotUsername: Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_]*$' }),
    /** The address people reach the relay at (https://relay.example.com): the bots' /web sign-in links point there. */
    publicUrl: Type.String({ maxLength: 200, pattern: '^(https?://[^\\s?#]+)?$' }),
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
  priceTiers: {},
  defaultModelRatio: null,
  defaultCompletionEstimate: 4096,
  maxOutputTokens: {},
  topUpLink: '',
  exchangeRate: 7,
  currency: 'CNY',
  retryCount: 2,
  autoDisableChannels: true,
  channelRetestSeconds: 0,
  breakerThreshold: 3,
  breakerCooldownSeconds: 30,
  breakerMaxCooldownSeconds: 600,
  breakerFaults: ['server_error', 'overloaded', 'timeout', 'connection', 'rate_limited'],
  alertWebhookUrl: '',
  prohibitedWords: [],
  checkCompletions: false,
  botRegistration: false,
  botNewUserQuota: 0,
  botChatModel: 'gpt-4o-mini',
  botTitleModel: 'gpt-4o-mini',
  botAutoTitle: false,
  botHistoryMessages: 20,
  botVisionModel: 'gpt-4o-mini',
  botReceipts: false,
  allowRegistration: false,
  telegramBotUsername: '',
  publicUrl: '',
};

const PatchSchema = Type.Partial(OptionsSchema);

export const RATIO_KEYS = ['modelRatios', 'completionRatios', 'modelPrices', 'cacheReadRatios', 'cacheWriteRatios'] as const;
type RatioKey = (typeof RATIO_KEYS)[number];
const isRatioKey = (key: string): key is RatioKey => (RATIO_KEYS as readonly string[]).includes(key);

/** A merge into a price map: each model's new value, or null to remove the model's entry. */
export type RatioMapChanges = Record<string, number | string | null>;

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

  /** Sets the given options, replacing each (PUT). Validates the whole patch first (400 naming the field), then
   * writes every key in one transaction. */
  async update(patch: unknown): Promise<Options> {
    const values = validatePatch(patch);
    await this.db.prisma.$transaction(this.#setStatements(values));
    this.bus.publish('options');
    return this.load();
  }

  /**
   * Like update, except that the price maps (modelRatios, completionRatios, modelPrices, cache ratios, priceTiers) are merged
   * into what is stored: each model given is set, `null` removes a model's entry, the others stay (PATCH). The merge
   * is one statement in the database, so two admins editing different models at once both keep their change.
   */
  async merge(patch: unknown): Promise<Options> {
    const body = checkObject(patch);
    const maps: [RatioKey | 'priceTiers', Record<string, unknown>][] = [];
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (isRatioKey(key)) maps.push([key, validateChanges(key, value)]);
      else if (key === 'priceTiers') maps.push([key, validateTierChanges(value)]);
      else rest[key] = value;
    }
    const values = validatePatch(rest);
    await this.db.prisma.$transaction([
      ...this.#setStatements(values),
      ...maps.map(([key, changes]) => this.#mergeStatement(key, changes)),
    ]);
    this.bus.publish('options');
    return this.load();
  }

  #setStatements(values: Record<string, unknown>) {
    return Object.entries(values).map(([key, value]) =>
      this.db.prisma.option.upsert({
        where: { key },
        create: { key, value: JSON.stringify(value) },
        update: { value: JSON.stringify(value) },
      }),
    );
  }

  /** SQLite's json_patch is RFC 7396 (null removes a member); PostgreSQL: jsonb concatenation minus removed keys. */
  #mergeStatement(key: RatioKey | 'priceTiers', changes: Record<string, unknown>) {
    const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null));
    const removed = Object.keys(changes).filter((model) => changes[model] === null);
    const prisma = this.db.prisma;
    if (this.db.kind === 'sqlite') {
      const patchText = JSON.stringify(changes);
      return prisma.$executeRaw`INSERT INTO "Option" ("key", "value") VALUES (${key}, json_patch('{}', ${patchText}))
        ON CONFLICT ("key") DO UPDATE SET "value" = json_patch(
          CASE WHEN json_valid("Option"."value") THEN "Option"."value" ELSE '{}' END, ${patchText})`;
    }
    const setText = JSON.stringify(set);
    return prisma.$executeRaw`INSERT INTO "Option" ("key", "value") VALUES (${key}, ${setText}::jsonb::text)
      ON CONFLICT ("key") DO UPDATE SET "value" = ((("Option"."value")::jsonb || ${setText}::jsonb) - ${removed}::text[])::text`;
  }
}

function checkObject(patch: unknown): Record<string, unknown> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new RelayError('invalid_request', 'options must be a JSON object of {key: value}');
  }
  for (const key of Object.keys(patch)) {
    if (!(key in DEFAULT_OPTIONS)) {
      throw new RelayError('invalid_request', `unknown option "${key}"`, 400, { param: key });
    }
  }
  return patch as Record<string, unknown>;
}

function validatePatch(patch: unknown): Partial<Options> {
  const body = checkObject(patch);
  const first = Value.Errors(PatchSchema, body)[0];
  if (first) {
    const param = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
    throw new RelayError('invalid_request', `option ${param || '(root)'} ${first.message}`, 400, { param });
  }
  return withExactRatios(body as Partial<Options>);
}

const MapChangesSchema = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Union([RatioSchema, Type.Null()]));

/** A price-map merge: {model: ratio (services/ratios.ts: a number or decimal string, at most 9 decimals) | null}; 400 names `key.model`. */
function validateChanges(key: RatioKey, value: unknown): RatioMapChanges {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RelayError('invalid_request', `option ${key} must be an object of {model: number | null}`, 400, { param: key });
  }
  for (const [model, entry] of Object.entries(value)) {
    const param = `${key}.${model}`;
    if (entry === null) continue;
    if (!Value.Check(MapChangesSchema, { [model]: entry })) {
      throw new RelayError('invalid_request', `option ${param} must be a number or decimal string ≥ 0, or null to remove it`, 400, { param });
    }
    const canonical = normalizeRatio(entry, param, `option ${param}`);
    if (typeof entry === 'string') (value as Record<string, unknown>)[model] = canonical;
  }
  return value as RatioMapChanges;
}

/** A tier-map merge: {model: tiers | null}; each list checked as in a PUT. */
function validateTierChanges(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RelayError('invalid_request', 'option priceTiers must be an object of {model: tiers | null}', 400, { param: 'priceTiers' });
  }
  return Object.fromEntries(Object.entries(value).map(([model, tiers]) => [model, tiers === null ? null : exactTiers(tiers, `priceTiers.${model}`)]));
}

/**
 * A model's tier list: the schema's shape, every ratio by services/ratios.ts (strings stored canonical), thresholds
 * distinct, stored in ascending order.
 */
function exactTiers(tiers: unknown, param: string): TierSpec[] {
  const first = Value.Errors(TierList, tiers)[0];
  if (first) {
    const at = `${param}${first.instancePath.replace(/\//g, '.')}`;
    throw new RelayError('invalid_request', `option ${at} ${first.message}`, 400, { param: at });
  }
  const list = (tiers as TierSpec[]).map((tier, i) => {
    const out: TierSpec = { above: tier.above, modelRatio: exactRatio(tier.modelRatio, `${param}.${i}.modelRatio`) };
    for (const key of ['completionRatio', 'cacheReadRatio', 'cacheWriteRatio'] as const) {
      if (tier[key] !== undefined) out[key] = exactRatio(tier[key], `${param}.${i}.${key}`);
    }
    return out;
  });
  list.sort((a, b) => a.above - b.above);
  const repeated = list.find((tier, i) => i > 0 && list[i - 1]!.above === tier.above);
  if (repeated) throw new RelayError('invalid_request', `option ${param} has two tiers above ${repeated.above} tokens`, 400, { param });
  return list;
}

/** A ratio by services/ratios.ts: a string stored canonical ("0.50" → "0.5"), a number as sent (it is exact). */
function exactRatio(value: number | string, param: string): number | string {
  const canonical = normalizeRatio(value, param, `option ${param}`);
  return typeof value === 'number' ? value : canonical;
}

/**
 * Ratios and prices follow services/ratios.ts, as group ratios do: refused here (400 naming `map.model`) rather than
 * rounded at billing time. Decimal strings are stored canonical ("0.50" → "0.5"); numbers as sent (they are exact).
 */
function withExactRatios(patch: Partial<Options>): Partial<Options> {
  const exact = exactRatio;
  const out: Partial<Options> = { ...patch };
  for (const key of RATIO_KEYS) {
    const map = patch[key];
    if (map) out[key] = Object.fromEntries(Object.entries(map).map(([model, value]) => [model, exact(value, `${key}.${model}`)]));
  }
  if (patch.priceTiers) {
    out.priceTiers = Object.fromEntries(Object.entries(patch.priceTiers).map(([model, tiers]) => [model, exactTiers(tiers, `priceTiers.${model}`)]));
  }
  if (patch.defaultModelRatio !== undefined && patch.defaultModelRatio !== null) {
    out.defaultModelRatio = exact(patch.defaultModelRatio, 'defaultModelRatio');
  }
  return out;
}
