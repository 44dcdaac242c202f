// Admission: everything checked before any upstream call, each refusal with its own code and a message that says what
// to do. Order: model access (token list, group) → content filter → price → estimate → rate limits → reserve (→ output
// allowance).
import { RelayError } from '../errors.js';
import { allowanceFor, reservationRange } from '../billing/allowance.js';
import type { Pricing } from '../billing/pricing.js';
import { quotaShortError, type Ledger } from '../billing/ledger.js';
import type { OptionsStore } from '../services/options.js';
import type { RelayCall } from './call.js';
import type { ChannelRouter } from './channels.js';
import type { GroupDirectory } from './groups.js';
import type { ContentFilter } from './content-filter.js';
import { estimatePromptTokens, outputAskOf } from './estimate.js';
import { limitsOf, type RelayRateLimiter } from './rate-limits.js';

export interface AdmitDeps {
  channels: ChannelRouter;
  groups: GroupDirectory;
  pricing: Pricing;
  ledger: Ledger;
  filter: ContentFilter;
  options: OptionsStore;
  rateLimits: RelayRateLimiter;
}

/** Token model list and group availability. Shared with GET /v1/models/:id. */
export async function checkModelAccess(deps: Pick<AdmitDeps, 'channels'>, call: Pick<RelayCall, 'model' | 'payer'>): Promise<void> {
  const { model, payer } = call;
  if (payer.token?.models && !payer.token.models.has(model)) {
    throw new RelayError('model_not_allowed', `model ${model} is not allowed for this API key; allowed: ${[...payer.token.models].sort().join(', ')}`);
  }
  await deps.channels.ensureLoaded();
  if (deps.channels.serving(payer.group, model).some((c) => c.status !== 'disabled')) return;
  const groups = deps.channels.groupsWith(model);
  if (groups.length === 0) throw new RelayError('model_not_found', `model ${model} does not exist or is not offered here`);
  throw new RelayError(
    'model_not_in_group',
    `model ${model} is not available in group ${payer.group}; groups that have it: ${groups.join(', ')}`,
    undefined,
    { groups },
  );
}

export async function admit(deps: AdmitDeps, call: RelayCall): Promise<void> {
  await checkModelAccess(deps, call);

  if (call.chat && deps.filter.active) {
    const word = deps.filter.findInMessages(call.chat.messages);
    if (word) throw new RelayError('content_filtered', `the request was filtered: it contains the prohibited word "${word}"`);
  } else if (deps.filter.active && call.kind !== 'chat') {
    const word = deps.filter.find(JSON.stringify(call.body.prompt ?? call.body.input ?? call.body.query ?? ''));
    if (word) throw new RelayError('content_filtered', `the request was filtered: it contains the prohibited word "${word}"`);
  }

  const price = deps.pricing.resolve(call.model);
  const group = await deps.groups.get(call.payer.group);
  if (!group) throw new RelayError('model_not_in_group', `group ${call.payer.group} does not exist; ask the administrator`);
  call.price = price;
  call.group = group;

  // The most the call can cost and the least it can run on; the ledger holds what the balance has between the two,
  // and the output allowance is what that hold pays for (billing/allowance.ts).
  const prompt = await estimatePromptTokens(call);
  const ask = outputAskOf(call, deps.options.current);
  const range = reservationRange(price, group.ratio, prompt, ask, call.units);
  // Tokens per minute: the prompt and the output asked (not the upstream's maximum, which would make a limit useless).
  const askedTokens = ask ? ask.choices * (ask.requested ?? ask.fallback) + (ask.unlimited ?? 0) : 0;
  call.rateLimit = await deps.rateLimits.admit(call, limitsOf(call), prompt + askedTokens);
  const token = call.payer.token;
  const outcome = await deps.ledger
    .reserve({
      requestId: call.id,
      userId: call.payer.userId,
      tokenId: token?.id ?? null,
      tokenLimited: token?.limited ?? false,
      amount: range.most,
      minimum: range.least,
    })
    .catch(async (err: unknown) => {
      await deps.rateLimits.finish(call.rateLimit, 0);
      throw err;
    });
  if (!outcome.ok) {
    await deps.rateLimits.finish(call.rateLimit, 0); // a refused call keeps its request counted, gives its tokens back
    throw quotaShortError(outcome.short, outcome.needed, outcome.available);
  }
  call.reserved = outcome.amount;
  call.output = allowanceFor(price, group.ratio, prompt, ask, call.units, outcome.amount);
  call.estimate = { prompt, completion: call.output.total };
}
