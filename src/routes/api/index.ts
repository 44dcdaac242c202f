// The management API. Every route here needs a management key unless its config says `public: true`;
// admin-only routes say `admin: true`. Each area is its own plugin file.
import type { FastifyInstance } from 'fastify';
import { installManagementAuth } from '../../plugins/management-auth.js';
import type { AppContext } from '../../context.js';

export async function apiRoutes(api: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  installManagementAuth(api, ctx.db);

  api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => api.swagger());
}
