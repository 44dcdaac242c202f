// TypeBox schemas of the operations resources: redemption codes, usage logs and stats, channels. The shared pieces
// (error body, pagination, id params) live in schemas.ts.
import { Type, type Static } from 'typebox';
import { Id, Query } from './schemas.js';

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const Units = Type.Integer({ minimum: 0, description: 'quota units (500,000 = 1 USD)' });
/** Query-string times: parsed by the route so a bad one is named in a 400. */
const QueryTime = (what: string) =>
  Type.String({ maxLength: 40, description: `${what}: ISO 8601 time (e.g. 2026-01-31T00:00:00Z) or UTC date (2026-01-31)` });

/* ---------------------------------------------------------------- redemption codes */

export const RedemptionStatus = Type.Enum(['unused', 'redeemed', 'disabled']);

export const Redemption = Type.Object({
  id: Type.Integer(),
  name: Type.String({ description: 'batch name given at creation' }),
  codePrefix: Type.String({ description: 'enough of the code to recognise it; the code itself is shown only once' }),
  quota: Units,
  status: RedemptionStatus,
  createdBy: NullableInt,
  redeemedBy: NullableInt,
  redeemedAt: NullableDateTime,
  createdAt: DateTime,
});

export const CreateRedemptionsBody = Type.Object(
  {
    quota: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'quota units each code is worth' }),
    count: Type.Integer({ minimum: 1, maximum: 1000, description: 'how many codes to mint' }),
    name: Type.String({ minLength: 1, maxLength: 100, description: 'batch name, to find the codes later' }),
  },
  { additionalProperties: false },
);

export const CreatedRedemptions = Type.Object({
  codes: Type.Array(Type.String(), { description: 'the codes; shown only now, only their hashes are stored' }),
});

export const RedemptionQuery = Query({
  status: Type.Optional(RedemptionStatus),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'exact batch name' })),
});

export const UpdateRedemptionBody = Type.Object(
  { status: Type.Enum(['unused', 'disabled'], { description: 'disable a code, or make a disabled one usable again' }) },
  { additionalProperties: false },
);

export const RedeemBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const RedeemResponse = Type.Object({
  quota: Type.Integer({ description: 'quota units added by this code' }),
  balance: Type.Integer({ description: "the account's remaining quota afterwards" }),
});

/* ---------------------------------------------------------------- channel health (relay/breaker.ts) */

export const Health = Type.Object(
  {
    state: Type.Enum(['closed', 'open', 'half_open'], { description: 'circuit breaker: closed (in use), open (cooling down, skipped), half_open (the next call is a probe)' }),
    requests: Type.Integer({ description: "attempts in the last 5 minutes (this instance's window)" }),
    successRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
    p50LatencyMs: NullableInt,
    consecutiveFailures: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()], { description: 'a classified reason, e.g. "overloaded (HTTP 529)"; never upstream text' }),
    lastErrorAt: NullableDateTime,
    cooldownUntil: NullableDateTime,
  },
  { description: 'rolling health and the circuit breaker' },
);

/* ---------------------------------------------------------------- usage logs and stats */

export const LogType = Type.Enum(['consume', 'topup', 'redeem', 'manage', 'error']);

export const UsageLog = Type.Object({
  id: Type.Integer(),
  createdAt: DateTime,
  type: Type.String({ description: 'consume | topup | redeem | manage | error' }),
  source: Type.String({ description: 'api | telegram | discord | qq | onebot | admin' }),
  userId: Type.Integer(),
  tokenId: NullableInt,
  tokenName: Type.String(),
  channelId: NullableInt,
  endpoint: Type.String(),
  model: Type.String({ description: 'as asked by the client' }),
  upstreamModel: Type.String(),
  promptTokens: Type.Integer(),
  completionTokens: Type.Integer(),
  cacheReadTokens: Type.Integer(),
  cacheWriteTokens: Type.Integer(),
  groupRatio: Type.String(),
  modelRatio: Type.String(),
  completionRatio: Type.String(),
  quota: Units,
  stream: Type.Boolean(),
  latencyMs: Type.Integer(),
  ttftMs: NullableInt,
  status: Type.String({ description: 'ok | error' }),
  content: Type.String({ description: 'what the caller was told: the error as "code: message", or a note' }),
  group: Type.String(),
  requestId: Type.Union([Type.String(), Type.Null()]),
  usageSource: Type.String({ description: 'relay calls: where the billed counts came from: upstream | local | mixed | none' }),
  writeOff: Type.Integer({ minimum: 0, description: 'cost the balance could not cover: written off, not charged' }),
  detail: Type.Optional(Type.String({ description: 'admins only: what the upstream said (keys scrubbed)' })),
  attempts: Type.Optional(
    Type.Union([
      Type.Array(
        Type.Object({
          channelId: Type.Integer(),
          keyId: NullableInt,
          status: Type.Integer({ description: "the upstream's HTTP status, or the relay's when it never answered" }),
          code: Type.String({ description: 'ok, or the error code the attempt ended with' }),
          fault: Type.Optional(Type.String({ description: 'server_error | overloaded | timeout | connection | rate_limited' })),
          ms: Type.Integer(),
        }),
      ),
      Type.Null(),
    ], { description: 'admins only: every upstream attempt when there was more than one (failover); else null' }),
  ),
});

export const LogQuery = Query({
  userId: Type.Optional(Id({ description: "admins: anyone's; users: only their own id" })),
  tokenId: Type.Optional(Id()),
  tokenName: Type.Optional(Type.String({ maxLength: 100 })),
  channelId: Type.Optional(Id()),
  model: Type.Optional(Type.String({ maxLength: 200 })),
  type: Type.Optional(LogType),
  status: Type.Optional(Type.Enum(['ok', 'error'])),
  source: Type.Optional(Type.String({ maxLength: 32 })),
  from: Type.Optional(QueryTime('inclusive start')),
  to: Type.Optional(QueryTime('exclusive end')),
});

export const StatsBy = Type.Enum(['day', 'model', 'token', 'channel', 'source']);

export const StatsQuery = Query({
  by: Type.Optional(StatsBy),
  userId: Type.Optional(Id({ description: "admins: one user's usage; users: only their own id" })),
  from: Type.Optional(QueryTime('inclusive start; default 30 days before `to`')),
  to: Type.Optional(QueryTime('exclusive end; default now')),
});

const Totals = {
  requests: Type.Integer({ description: 'relay requests (successful and failed)' }),
  quota: Units,
  promptTokens: Type.Integer(),
  completionTokens: Type.Integer(),
  writeOff: Type.Integer({ minimum: 0, description: 'units written off: cost the balance could not cover, not charged' }),
};

export const StatsResponse = Type.Object({
  by: StatsBy,
  from: DateTime,
  to: DateTime,
  items: Type.Array(
    Type.Object({
      key: Type.String({ description: 'UTC day (YYYY-MM-DD), model, token id, channel id or source; "none" if unset' }),
      label: Type.String({ description: 'human name: token or channel name where known, else the key' }),
      ...Totals,
      health: Type.Optional(Type.Union([Health, Type.Null()], { description: 'by=channel, admins: the channel\'s health now' })),
    }),
  ),
  total: Type.Object(Totals),
});

/* ---------------------------------------------------------------- channels */

export const ChannelConfigSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    firstByteTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    totalTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 3_600_000 })),
    autoReenable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true, description: 'adapter settings: apiVersion, headers, timeouts, autoReenable, …' },
);

const ModelName = Type.String({ minLength: 1, maxLength: 200 });

const channelFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  type: Type.String({ minLength: 1, maxLength: 32, description: 'provider type: openai, azure, anthropic, gemini, …' }),
  baseUrl: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL; defaults per type where one exists' }),
  keys: Type.Array(Type.String({ minLength: 1, maxLength: 4000 }), {
    maxItems: 1000,
    description: 'full upstream keys, stored encrypted and never returned. PATCH: they replace every stored key',
  }),
  models: Type.Array(ModelName, { minItems: 1, maxItems: 5000 }),
  modelMapping: Type.Record(Type.String(), Type.String(), {
    description: '{clientModel: upstreamModel}',
  }),
  groups: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 200 }),
  priority: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'higher is tried first' }),
  weight: Type.Integer({ minimum: 0, maximum: 1000, description: 'share among channels of equal priority' }),
  config: ChannelConfigSchema,
};

export const CreateChannelBody = Type.Object(
  {
    name: channelFields.name,
    type: channelFields.type,
    baseUrl: Type.Optional(channelFields.baseUrl),
    keys: Type.Optional(channelFields.keys),
    models: channelFields.models,
    modelMapping: Type.Optional(channelFields.modelMapping),
    groups: Type.Optional(channelFields.groups),
    priority: Type.Optional(channelFields.priority),
    weight: Type.Optional(channelFields.weight),
    config: Type.Optional(channelFields.config),
    status: Type.Optional(Type.Enum(['enabled', 'disabled'])),
  },
  { additionalProperties: false },
);
export type CreateChannelInput = Static<typeof CreateChannelBody>;

export const UpdateChannelBody = Type.Object(
  {
    name: Type.Optional(channelFields.name),
    type: Type.Optional(channelFields.type),
    baseUrl: Type.Optional(channelFields.baseUrl),
    keys: Type.Optional(channelFields.keys),
    models: Type.Optional(channelFields.models),
    modelMapping: Type.Optional(channelFields.modelMapping),
    groups: Type.Optional(channelFields.groups),
    priority: Type.Optional(channelFields.priority),
    weight: Type.Optional(channelFields.weight),
    config: Type.Optional(channelFields.config),
    status: Type.Optional(Type.Enum(['enabled', 'disabled'], { description: 'enabled also clears the disable reason' })),
  },
  { additionalProperties: false },
);
export type UpdateChannelInput = Static<typeof UpdateChannelBody>;

export const ChannelStatus = Type.Enum(['enabled', 'disabled', 'auto_disabled']);

export const ChannelKey = Type.Object({
  id: Type.Integer({ description: 'edit the key by this id' }),
  mask: Type.String({ description: 'enough to tell keys apart, e.g. "sk-ab…wxyz"; the key itself is never returned' }),
  status: Type.Enum(['enabled', 'disabled', 'auto_disabled'], {
    description: 'disabled: by an admin; auto_disabled: by the relay (the upstream refused it), a passing test re-enables it',
  }),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  disabledAt: NullableDateTime,
  createdAt: DateTime,
  health: Health,
});

/** Keys to add (POST …/keys) or to replace every key with (PUT …/keys). */
export const ChannelKeysBody = Type.Object({ keys: channelFields.keys }, { additionalProperties: false });

export const ChannelKeyStatusBody = Type.Object(
  { status: Type.Enum(['enabled', 'disabled'], { description: 'enabled also clears the disable reason' }) },
  { additionalProperties: false },
);

export const ChannelKeyParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  keyId: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
});

export const Channel = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  baseUrl: Type.String(),
  keys: Type.Array(ChannelKey, { description: 'in order; the keys themselves are never returned' }),
  models: Type.Array(Type.String()),
  modelMapping: Type.Record(Type.String(), Type.String()),
  groups: Type.Array(Type.String()),
  priority: Type.Integer(),
  weight: Type.Integer(),
  config: Type.Object({}, { additionalProperties: true }),
  status: ChannelStatus,
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  disabledAt: NullableDateTime,
  testedAt: NullableDateTime,
  responseTimeMs: NullableInt,
  createdAt: DateTime,
  updatedAt: DateTime,
  health: Health,
});

export const ChannelQuery = Query({
  status: Type.Optional(ChannelStatus),
  type: Type.Optional(Type.String({ maxLength: 32 })),
});
