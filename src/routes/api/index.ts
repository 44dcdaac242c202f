// The management API. Every route here needs a management key unless its config says `public: true`;
// admin-only routes say `admin: true`. Each area is its own plugin file.
//
// Adding a route:
//   - Query string: declare `schema.querystring: Query({...})` (routes/api/schemas.ts), or take none. Unknown, repeated
//     and array-syntax keys are then refused with a 400 naming the key, and integer/number/boolean values arrive
//     converted (plugins/query-rules.ts, applied to every /api route at registration; a route whose query schema
//     allows other keys, or a `:param` path without `schema.params`, fails to register). Bound every number and give
//     every string a maxLength; ids: `Id()`.
//   - Who may do what to whom: services/permissions.ts (pass the caller, `accountOf(request)`, to the service).
//   - Secrets a person can guess (passwords, codes): check them through `ctx.guesses` (services/auth.ts).
//   - Bodies: TypeBox with `additionalProperties: false`; JSON deeper than 64 levels never reaches a handler.
import type { FastifyInstance } from 'fastify';
import { installManagementAuth } from '../../plugins/management-auth.js';
import type { AppContext } from '../../context.js';
import type { RelayService } from '../../relay/service.js';
import { authRoutes } from './auth.js';
import { usersRoutes } from './users.js';
import { meRoutes } from './me.js';
import { tokensRoutes } from './tokens.js';
import { groupsRoutes } from './groups.js';
import { redemptionRoutes } from './redemptions.js';
import { logRoutes } from './logs.js';
import { optionRoutes } from './options.js';
import { channelRoutes } from './channels.js';
import { channelTestRoutes } from './channel-test.js';
import { pricingRoutes } from './pricing.js';
import { linkRoutes } from './links.js';
import { sessionRoutes } from './session.js';
import { insightRoutes } from './insights.js';
import { logExportRoutes } from './logs-export.js';
import { channelTypeRoutes } from './channel-types.js';
import { paymentRoutes } from './payments.js';
import { paymentWebhookRoutes } from './payment-webhooks.js';
import type { PaymentService } from '../../payments/service.js';

export async function apiRoutes(api: FastifyInstance, opts: { ctx: AppContext; relay: RelayService; payments: PaymentService }): Promise<void> {
  const { ctx } = opts;
  await installManagementAuth(api, ctx.db);

  // Password checks (key logins, console sign-ins) and registrations share the limiters in ctx.guesses.
  await api.register(authRoutes, { ctx });
  await api.register(sessionRoutes, { ctx });
  await api.register(usersRoutes, { ctx });
  await api.register(meRoutes, { ctx });
  await api.register(tokensRoutes, { ctx });
  await api.register(groupsRoutes, { ctx });
  await api.register(redemptionRoutes, { ctx });
  await api.register(logRoutes, { ctx, relay: opts.relay });
  await api.register(optionRoutes, { ctx });
  await api.register(channelRoutes, { ctx, relay: opts.relay });
  await api.register(channelTestRoutes, { ctx, relay: opts.relay });
  await api.register(pricingRoutes, { ctx, relay: opts.relay });
  await api.register(linkRoutes, { ctx });
  await api.register(insightRoutes, { ctx, relay: opts.relay });
  await api.register(logExportRoutes, { ctx });
  await api.register(channelTypeRoutes);
  await api.register(paymentRoutes, { payments: opts.payments });
  await api.register(paymentWebhookRoutes, { payments: opts.payments });
  api.get('/openapi.json', { config: { public: true }, schema: { tags: ['meta'], summary: 'This OpenAPI document', operationId: 'getOpenApiDocument' } }, async () => api.swagger());
}
