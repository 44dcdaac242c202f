// GET /api/channel-types (admin): the channel types the relay can serve, with their labels and default base URLs,
// so the console's channel form offers presets from the same registry the relay routes with.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { channelTypeInfos } from '../../providers/registry.js';
import { typeNeedsKey } from '../../services/channel-types.js';
import { NoQuery, errorResponses } from './schemas.js';

const ChannelType = Type.Object({
  type: Type.String(),
  label: Type.String(),
  defaultBaseUrl: Type.Union([Type.String(), Type.Null()], { description: 'null: every channel of this type has its own' }),
  needsKey: Type.Boolean(),
});

export const channelTypeRoutes: FastifyPluginAsyncTypebox = async (api) => {
  api.get(
    '/channel-types',
    {
      config: { admin: true },
      schema: {
        tags: ['channels'],
        summary: 'Channel types with their labels and default base URLs (for presets)',
        querystring: NoQuery,
        response: { 200: Type.Object({ items: Type.Array(ChannelType) }), ...errorResponses(400, 401, 403) },
      },
    },
    async () => ({
      items: channelTypeInfos().map((info) => ({
        type: info.type,
        label: info.label,
        defaultBaseUrl: info.defaultBaseUrl ?? null,
        needsKey: typeNeedsKey(info.type),
      })),
    }),
  );
};
