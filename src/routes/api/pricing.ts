// GET /api/pricing — what each offered model costs, in USD, for the caller's group (a logged-in user's own group;
// anonymous callers see the default group or ?group=), which groups can use it, and how to recharge: the numbers the
// FAQ promises users can check for themselves.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RelayError } from '../../errors.js';
import { formatDecimal, parseDecimal, QUOTA_PER_USD, RATIO_SCALE } from '../../billing/decimal.js';
import { usdPerMillion } from '../../billing/pricing.js';
import type { AppContext } from '../../context.js';
import type { RelayService } from '../../relay/service.js';
import { Query, errorResponses } from './schemas.js';

const ModelPriceView = Type.Object({
  model: Type.String(),
  /** Groups with a channel serving the model. */
  groups: Type.Array(Type.String()),
  /** The caller's group can use it. */
  available: Type.Boolean(),
  priced: Type.Boolean({ description: 'false: no price set, calls are refused' }),
  modelRatio: Type.Union([Type.String(), Type.Null()]),
  completionRatio: Type.Union([Type.String(), Type.Null()]),
  inputUsdPer1M: Type.Union([Type.String(), Type.Null()]),
  outputUsdPer1M: Type.Union([Type.String(), Type.Null()]),
  inputUsdPer1K: Type.Union([Type.String(), Type.Null()]),
  outputUsdPer1K: Type.Union([Type.String(), Type.Null()]),
  perRequestUsd: Type.Union([Type.String(), Type.Null()]),
  tiers: Type.Array(
    Type.Object({
      above: Type.Integer({ description: 'prompt tokens (cache included) above which the whole call is priced so' }),
      modelRatio: Type.String(),
      completionRatio: Type.String(),
      inputUsdPer1M: Type.String(),
      outputUsdPer1M: Type.String(),
    }),
    { description: 'long-prompt prices (billing.md#long-prompt-tiers), by ascending threshold; empty for most models' },
  ),
});

const PricingView = Type.Object({
  group: Type.String(),
  groupRatio: Type.String(),
  quotaPerUsd: Type.Integer(),
  recharge: Type.Object({ topUpLink: Type.String(), exchangeRate: Type.Number(), currency: Type.String() }),
  models: Type.Array(ModelPriceView),
});

/** USD per 1K tokens from USD per 1M (exact to 9 decimals). */
const per1K = (perMillion: string) => formatDecimal(parseDecimal(perMillion) / 1000n);

export async function pricingRoutes(instance: FastifyInstance, opts: { ctx: AppContext; relay: RelayService }): Promise<void> {
  const { ctx, relay } = opts;
  const api = instance.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/pricing',
    {
      config: { public: true },
      schema: {
        tags: ['pricing'],
        summary: 'Model prices for the caller’s group (or ?group=), the groups that have each model, and how to recharge',
        querystring: Query({ group: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        response: { 200: PricingView, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const groupName = request.query.group ?? request.account?.group ?? 'default';
      const group = await relay.groups.get(groupName);
      if (!group) throw new RelayError('not_found', `group ${groupName} does not exist`);
      await relay.channels.ensureLoaded();
      const offered = new Set(relay.channels.channels.filter((c) => c.status !== 'disabled').flatMap((c) => c.models));
      const models = [...offered].sort().map((model) => {
        const groups = relay.channels.groupsWith(model);
        const price = relay.pricing.find(model);
        const base = { model, groups, available: groups.includes(group.name), priced: price !== undefined };
        if (!price) {
          return { ...base, modelRatio: null, completionRatio: null, inputUsdPer1M: null, outputUsdPer1M: null, inputUsdPer1K: null, outputUsdPer1K: null, perRequestUsd: null, tiers: [] };
        }
        if (price.perRequestUsd !== undefined) {
          const usd = (price.perRequestUsd * group.ratio) / RATIO_SCALE;
          return { ...base, modelRatio: null, completionRatio: null, inputUsdPer1M: null, outputUsdPer1M: null, inputUsdPer1K: null, outputUsdPer1K: null, perRequestUsd: formatDecimal(usd), tiers: [] };
        }
        const input = usdPerMillion(price.modelRatio, group.ratio);
        const output = usdPerMillion(price.modelRatio, group.ratio, price.completionRatio);
        return {
          ...base,
          modelRatio: formatDecimal(price.modelRatio),
          completionRatio: formatDecimal(price.completionRatio),
          inputUsdPer1M: input,
          outputUsdPer1M: output,
          inputUsdPer1K: per1K(input),
          outputUsdPer1K: per1K(output),
          perRequestUsd: null,
          tiers: (price.tiers ?? []).map((tier) => ({
            above: tier.above,
            modelRatio: formatDecimal(tier.modelRatio),
            completionRatio: formatDecimal(tier.completionRatio),
            inputUsdPer1M: usdPerMillion(tier.modelRatio, group.ratio),
            outputUsdPer1M: usdPerMillion(tier.modelRatio, group.ratio, tier.completionRatio),
          })),
        };
      });
      const o = ctx.options.current;
      return {
        group: group.name,
        groupRatio: group.ratioText,
        quotaPerUsd: QUOTA_PER_USD,
        recharge: { topUpLink: o.topUpLink, exchangeRate: o.exchangeRate, currency: o.currency },
        models,
      };
    },
  );
}
