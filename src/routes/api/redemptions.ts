// Redemption codes: admins mint, list and disable them; any logged-in user redeems one for quota.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { accountOf } from '../../plugins/management-auth.js';
import { IdParams, Page, Pagination, Query, errorResponses } from './schemas.js';
import {
  CreateRedemptionsBody,
  CreatedRedemptions,
  RedeemBody,
  RedeemResponse,
  Redemption,
  RedemptionQuery,
  UpdateRedemptionBody,
} from './schemas-ops.js';
import { createRedemptions, listRedemptions, redeemCode, setRedemptionStatus } from '../../services/redemptions.js';
import { pageArgs } from '../../services/service-utils.js';
import type { AppContext } from '../../context.js';

const tags = ['redemptions'];

export async function redemptionRoutes(instance: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/redemptions',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Mint a batch of redemption codes (shown only in this answer)',
        body: CreateRedemptionsBody,
        response: { 201: CreatedRedemptions, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const codes = await createRedemptions(ctx, request.body, accountOf(request).id);
      return reply.status(201).send({ codes });
    },
  );

  api.get(
    '/redemptions',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'List redemption codes (never the codes themselves), newest first',
        querystring: Query({ ...Pagination.properties, ...RedemptionQuery.properties }),
        response: { 200: Page(Redemption), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, name, page, pageSize } = request.query;
      return listRedemptions(ctx, { status, name }, pageArgs({ page, pageSize }));
    },
  );

  api.patch(
    '/redemptions/:id',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Disable a code or make a disabled one usable again (a redeemed code cannot change)',
        params: IdParams,
        body: UpdateRedemptionBody,
        response: { 200: Redemption, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => setRedemptionStatus(ctx, request.params.id, request.body.status),
  );

  api.post(
    '/redeem',
    {
      schema: {
        tags,
        summary: "Redeem a code: its quota is added to the caller's account, exactly once",
        body: RedeemBody,
        response: { 200: RedeemResponse, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request) => redeemCode(ctx, accountOf(request).id, request.body.code, 'api', request.ip),
  );
}
