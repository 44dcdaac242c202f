// Channel management (admins only). Keys go in; only masked keys ever come out.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams, Page, Pagination, Query, errorResponses } from './schemas.js';
import { Channel, ChannelQuery, CreateChannelBody, UpdateChannelBody } from './schemas-ops.js';
import { createChannel, deleteChannel, getChannel, listChannels, updateChannel } from '../../services/channels.js';
import { pageArgs } from '../../services/service-utils.js';
import type { AppContext } from '../../context.js';

const tags = ['channels'];

export async function channelRoutes(instance: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/channels',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Add a channel',
        body: CreateChannelBody,
        response: { 201: Channel, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.status(201).send(await createChannel(ctx, request.body)),
  );

  api.get(
    '/channels',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'List channels (keys masked)',
        querystring: Query({ ...Pagination.properties, ...ChannelQuery.properties }),
        response: { 200: Page(Channel), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, type, page, pageSize } = request.query;
      return listChannels(ctx, { status, type }, pageArgs({ page, pageSize }));
    },
  );

  api.get(
    '/channels/:id',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'One channel (keys masked)',
        params: IdParams,
        response: { 200: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getChannel(ctx, request.params.id),
  );

  api.patch(
    '/channels/:id',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Change a channel; `keys` replaces the list, masked values keep the stored keys they stand for',
        params: IdParams,
        body: UpdateChannelBody,
        response: { 200: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => updateChannel(ctx, request.params.id, request.body),
  );

  api.delete(
    '/channels/:id',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Delete a channel',
        params: IdParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteChannel(ctx, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
