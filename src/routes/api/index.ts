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
import { sessionRoutes } from './session.js';
import { insightRoutes } from './insights.js';
import { logExportRoutes } from './logs-export.js';
import { channelTypeRoutes } from './channel-types.js';
import { LoginLimiter } from '../../services/auth.js';

export async function apiRoutes(api: FastifyInstance, opts: { ctx: AppContext; relay: RelayService }): Promise<void> {
  const { ctx } = opts;
  await installManagementAuth(api, ctx.db);

  // One limiter for every password check (key logins, console sign-ins, registrations).
  const limiter = new LoginLimiter();
  await api.register(authRoutes, { ctx, limiter });
  await api.register(sessionRoutes, { ctx, limiter });
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
  await api.register(insightRoutes, { ctx, relay: opts.relay });
  await api.register(logExportRoutes, { ctx });
  await api.register(channelTypeRoutes);
  api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => api.swagger());
}
