// The management API. Every route here needs a management key unless its config says `public: true`;
// admin-only routes say `admin: true`. Each area is its own plugin file.
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
import { paymentRoutes } from './payments.js';
import { paymentWebhookRoutes } from './payment-webhooks.js';
import type { PaymentService } from '../../payments/service.js';

export async function apiRoutes(api: FastifyInstance, opts: { ctx: AppContext; relay: RelayService; payments: PaymentService }): Promise<void> {
  const { ctx } = opts;
  installManagementAuth(api, ctx.db);

  await api.register(authRoutes, { ctx });
  await api.register(usersRoutes, { ctx });
  await api.register(meRoutes, { ctx });
  await api.register(tokensRoutes, { ctx });
  await api.register(groupsRoutes, { ctx });
  await api.register(redemptionRoutes, { ctx });
  await api.register(logRoutes, { ctx });
  await api.register(optionRoutes, { ctx });
  await api.register(channelRoutes, { ctx });
  await api.register(channelTestRoutes, { ctx, relay: opts.relay });
  await api.register(pricingRoutes, { ctx, relay: opts.relay });
  await api.register(linkRoutes, { ctx });
  await api.register(paymentRoutes, { payments: opts.payments });
  await api.register(paymentWebhookRoutes, { payments: opts.payments });
  api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => api.swagger());
}
