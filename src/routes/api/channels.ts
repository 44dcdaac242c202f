// Channel management (admins only). Keys go in (stored encrypted); only their id, mask and status come out, and they
// are edited by id under /channels/:id/keys.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams, Page, Pagination, Query, errorResponses } from './schemas.js';
import {
  Channel,
  ChannelKeyParams,
  ChannelKeysBody,
  ChannelKeyStatusBody,
  ChannelQuery,
  CreateChannelBody,
  UpdateChannelBody,
} from './schemas-ops.js';
import {
  addChannelKeys,
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  removeChannelKey,
  replaceChannelKeys,
  setChannelKeyStatus,
  updateChannel,
} from '../../services/channels.js';
import { accountOf } from '../../plugins/management-auth.js';
import { pageArgs } from '../../services/service-utils.js';
import type { AppContext } from '../../context.js';
import type { RelayService } from '../../relay/service.js';

const tags = ['channels'];

export async function channelRoutes(instance: FastifyInstance, opts: { ctx: AppContext; relay?: Pick<RelayService, 'health'> }): Promise<void> {
  const { ctx } = opts;
  const health = opts.relay?.health;
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
        summary: 'List channels (keys by id and mask)',
        querystring: Query({ ...Pagination.properties, ...ChannelQuery.properties }),
        response: { 200: Page(Channel), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, type, page, pageSize } = request.query;
      return listChannels(ctx, { status, type }, pageArgs({ page, pageSize }), health);
    },
  );

  api.get(
    '/channels/:id',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'One channel (keys by id and mask)',
        params: IdParams,
        response: { 200: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getChannel(ctx, request.params.id, health),
  );

  api.patch(
    '/channels/:id',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Change a channel; `keys` replaces every key. A new baseUrl or type needs the keys sent again (or the root)',
        params: IdParams,
        body: UpdateChannelBody,
        response: { 200: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      updateChannel(ctx, request.params.id, request.body, { root: accountOf(request).role === 'root' }),
  );

  api.post(
    '/channels/:id/keys',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Add keys to a channel (they start enabled)',
        params: IdParams,
        body: ChannelKeysBody,
        response: { 201: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.status(201).send(await addChannelKeys(ctx, request.params.id, request.body.keys)),
  );

  api.put(
    '/channels/:id/keys',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: "Replace every key of a channel",
        params: IdParams,
        body: ChannelKeysBody,
        response: { 200: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => replaceChannelKeys(ctx, request.params.id, request.body.keys),
  );

  api.patch(
    '/channels/:id/keys/:keyId',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Enable or disable one key',
        params: ChannelKeyParams,
        body: ChannelKeyStatusBody,
        response: { 200: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => setChannelKeyStatus(ctx, request.params.id, request.params.keyId, request.body.status),
  );

  api.delete(
    '/channels/:id/keys/:keyId',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Remove one key (not the last key of a type that needs one)',
        params: ChannelKeyParams,
        response: { 200: Channel, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => removeChannelKey(ctx, request.params.id, request.params.keyId),
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
