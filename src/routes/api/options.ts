// Admin settings (PUT replaces the given options; PATCH merges price maps). The body schema documents every option; unknown keys pass the schema on purpose so that
// OptionsStore.update can answer with a 400 that names the unknown key (a schema refusal could not name it).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { OptionsSchema, PriceTierSchema, RATIO_KEYS } from '../../services/options.js';
import { RatioSchema } from '../../services/ratios.js';
import { NoQuery, errorResponses } from './schemas.js';
import type { AppContext } from '../../context.js';

const tags = ['options'];

const OptionsPatch = Type.Partial(Type.Object(OptionsSchema.properties), {
  additionalProperties: true,
  description: 'any subset of the options; unknown keys and wrong types are refused with a 400 naming the key',
});

const MapChanges = Type.Record(Type.String(), Type.Union([RatioSchema, Type.Null()]), {
  description: 'merged into the stored map: {model: value} sets that model, {model: null} removes it, others stay',
});

const OptionsMerge = Type.Partial(
  Type.Object({
    ...OptionsSchema.properties,
    ...Object.fromEntries(RATIO_KEYS.map((key) => [key, MapChanges])),
    priceTiers: Type.Record(Type.String(), Type.Union([Type.Array(PriceTierSchema, { maxItems: 8 }), Type.Null()]), {
      description: "merged per model: {model: tiers} replaces that model's tiers, {model: null} removes them",
    }),
  }),
  {
    additionalProperties: true,
    description: 'any subset of the options; price maps are merged, everything else is replaced',
  },
);

export async function optionRoutes(instance: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/options',
    {
      config: { admin: true },
      schema: { tags, summary: 'Current admin options', response: { 200: OptionsSchema, ...errorResponses(401, 403) } },
    },
    async () => ctx.options.current,
  );

  api.put(
    '/options',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Change some options (partial update); answers with all options',
        body: OptionsPatch,
        response: { 200: OptionsSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ctx.options.update(request.body),
  );
  api.patch(
    '/options',
    {
      config: { admin: true },
      schema: {
        tags,
        summary: 'Change some options; price maps change only the models given (null removes one)',
        querystring: NoQuery,
        body: OptionsMerge,
        response: { 200: OptionsSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ctx.options.merge(request.body),
  );
}
