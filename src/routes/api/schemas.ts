// Shared TypeBox schemas of the management API: the error body, pagination, and the account resources (users, relay
// tokens, groups). Routes declare them so requests are validated, responses serialised, and /api/openapi.json
// documents every route.
import { Type, type Static, type TObject, type TProperties, type TSchema } from 'typebox';

/** The body of every 4xx/5xx answer (see src/errors.ts toWireError). Extra detail fields are allowed. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        message: Type.String(),
        type: Type.String(),
        code: Type.String({ description: 'stable machine-readable code, e.g. invalid_request, not_found' }),
        param: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the offending field, if any' })),
      },
      { additionalProperties: true },
    ),
  },
  { description: 'An error' },
);

/** `{ 400: ErrorResponse, 404: ErrorResponse, … }` for a route's response map. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponse> {
  const out = {} as Record<S, typeof ErrorResponse>;
  for (const status of statuses) out[status] = ErrorResponse;
  return out;
}

/**
 * A route's query string: exactly these parameters, each at most once. Every /api route declares one this way or takes
 * no query at all (plugins/query-rules.ts refuses to register anything else); give numbers bounds and strings a
 * maxLength. Combine with spreads: `Query({ ...Pagination.properties, status: Type.Optional(…) })`.
 */
export const Query = <P extends TProperties>(properties: P): TObject<P> => Type.Object(properties, { additionalProperties: false });

/** A database id (a PostgreSQL integer): in paths, queries and bodies. */
export const Id = (options: { description?: string } = {}) => Type.Integer({ minimum: 1, maximum: 2_147_483_647, ...options });

export const PAGE_SIZE_MAX = 200;

/** `?page=1&pageSize=50` (pageSize at most 200). */
export const Pagination = Query({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: 50 })),
});
export type PaginationQuery = Static<typeof Pagination>;

/** A page of a list: `{ items, total }` (total counts every matching row, not just this page). */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer({ minimum: 0 }) });

/** The query string of a route that takes none: any parameter is refused with a 400 naming it. */
export { NoQuery } from '../../plugins/query-rules.js';

/** A positive database id in a path. */
export const IdParams = Type.Object({ id: Id() });

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
/** Quota units: integers, 500,000 units = 1 USD. */
const Units = Type.Integer({ minimum: 0 });

export const Role = Type.Union([Type.Literal('user'), Type.Literal('admin'), Type.Literal('root')]);
export const Status = Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]);

export const User = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: Role,
  group: Type.String(),
  quota: Type.Integer({ description: 'remaining quota units (500,000 = 1 USD)' }),
  usedQuota: Units,
  requestCount: Type.Integer({ minimum: 0 }),
  status: Status,
  createdAt: DateTime,
});
export type UserView = Static<typeof User>;

/** A rate limit: 1 to 1,000,000,000, or null (unlimited); null in a PATCH clears it. */
export const RateLimit = (description: string) =>
  Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()], { description: `${description}; null = unlimited` });

export const Token = Type.Object({
  id: Type.Integer(),
  userId: Type.Integer(),
  name: Type.String(),
  keyPrefix: Type.String({ description: 'enough of the key to recognise it; the full key is shown only on creation' }),
  quota: Type.Union([Units, Type.Null()], { description: 'remaining quota units of this token; null = unlimited' }),
  usedQuota: Units,
  expiresAt: NullableDateTime,
  models: Type.Array(Type.String(), { description: 'allowed models; empty = every model of the group' }),
  allowIps: Type.Array(Type.String(), { description: 'allowed client IPs / CIDR subnets; empty = any' }),
  group: Type.Union([Type.String(), Type.Null()], { description: "overrides the owner's group when set" }),
  status: Status,
  rpm: RateLimit('requests per minute of this token (the group limit applies as well)'),
  tpm: RateLimit('tokens per minute of this token: prompt and output, as billed (the group limit applies as well)'),
  maxConcurrent: RateLimit('calls of this token in flight at once'),
  createdAt: DateTime,
  lastUsedAt: NullableDateTime,
});
export type TokenView = Static<typeof Token>;

/** The answer to token creation: the only time the full key is ever shown. */
export const CreatedToken = Type.Object({
  ...Token.properties,
  key: Type.String({ description: 'the relay key (sk-…); shown once, store it now' }),
});

export const Group = Type.Object({
  name: Type.String(),
  ratio: Type.String({ description: 'price multiplier as an exact decimal string, e.g. "0.8"' }),
  description: Type.String(),
  userSelectable: Type.Boolean({ description: 'users may switch themselves into this group' }),
  rpm: RateLimit('requests per minute for each user of the group'),
  tpm: RateLimit('tokens per minute for each user of the group (prompt and output, as billed)'),
});
export type GroupView = Static<typeof Group>;
