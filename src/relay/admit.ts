// Admission: everything checked before any upstream call, each refusal with its own code and a message that says what
// to do. Order: model access (token list, group) → content filter → price → estimate → rate limits → reserve (→ output
// allowance).
import { RelayError } from '../errors.js';
import { allowanceFor, reservationRange, type OutputAsk } from '../billing/allowance.js';
import type { ModelPrice, Pricing } from '../billing/pricing.js';
import type { Scaled } from '../billing/decimal.js';
import { quotaShortError, type Ledger } from '../billing/ledger.js';
import type { OptionsStore } from '../services/options.js';
import type { RelayCall } from './call.js';
import type { ChannelRouter } from './channels.js';
import type { GroupDirectory } from './groups.js';
import type { ContentFilter } from './content-filter.js';
import { countTextChatPrompt, estimatePromptTokens, outputAskOf, promptBoundFromBytes } from './estimate.js';
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
  if (!deps.channels.ready) await deps.channels.ensureLoaded();
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

/** The balance is "far above" a bytes-bounded hold when it could pay for this many of them. */
const PLENTY_OF_ROOM = 100;

/**
 * The call's estimate with the exact prompt count taken only if something reads it: settle does only when the upstream
 * reports no (plausible) prompt usage, so the usual call never tokenizes its prompt.
 */
class CountedWhenRead {
  #prompt: number | undefined;
  constructor(
    private readonly count: () => number,
    readonly completion: number,
  ) {}

  // A class, not an object literal with a getter: each such literal builds its own accessor on every call.
  get prompt(): number {
    return (this.#prompt ??= this.count());
  }
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
  const group = deps.groups.peek(call.payer.group) ?? (await deps.groups.get(call.payer.group));
  if (!group) throw new RelayError('model_not_in_group', `group ${call.payer.group} does not exist; ask the administrator`);
  call.price = price;
  call.group = group;

  const ask = outputAskOf(call, deps.options.current);

  // Rate limits first (a 429 reserves nothing). Tokens per minute are taken on the exact prompt and the output asked
  // (not the upstream's maximum, which would make a limit useless); a byte bound would spend the minute several times.
  const limits = limitsOf(call);
  const exactPrompt = limits.tokenTpm !== null || limits.groupTpm !== null ? await estimatePromptTokens(call) : undefined;
  const askedTokens = ask ? ask.choices * (ask.requested ?? ask.fallback) + (ask.unlimited ?? 0) : 0;
  call.rateLimit = await deps.rateLimits.admit(call, limits, (exactPrompt ?? 0) + askedTokens);
  try {
    await reserve(deps, call, price, group.ratio, ask, exactPrompt);
  } catch (err) {
    await deps.rateLimits.finish(call.rateLimit, 0); // a refused call keeps its request counted, gives its tokens back
    throw err;
  }
}

/** Holds the most the call can cost (or what the balance has, down to the least it can run on) and sets its allowance. */
async function reserve(
  deps: AdmitDeps,
  call: RelayCall,
  price: ModelPrice,
  groupRatio: Scaled,
  ask: OutputAsk | undefined,
  exactPrompt: number | undefined,
): Promise<void> {
  // A balance far above what the call can cost does not need the prompt tokenized: its bytes bound it from above, and
  // the hold of that bound is all-or-nothing, so the call gets its whole output allowance as it would with the exact
  // count. Nearer the end of a balance (or with images and files) the prompt is counted exactly, below.
  const token = call.payer.token;
  const requestId = call.id;
  const userId = call.payer.userId;
  const tokenId = token?.id ?? null;
  const tokenLimited = token?.limited ?? false;
  const bound = exactPrompt === undefined ? promptBoundFromBytes(call) : undefined;
  if (bound !== undefined) {
    const range = reservationRange(price, groupRatio, bound, ask, call.units);
    const most = range.most;
    const cheap = await deps.ledger.reserve({ requestId, userId, tokenId, tokenLimited, amount: most, minimum: most, onlyIfAvailable: most * PLENTY_OF_ROOM });
    if (cheap.ok) {
      call.reserved = cheap.amount;
      call.output = allowanceFor(price, groupRatio, bound, ask, call.units, cheap.amount, range);
      call.estimate = new CountedWhenRead(() => countTextChatPrompt(call), call.output.total);
      return;
    }
  }

  // The most the call can cost and the least it can run on; the ledger holds what the balance has between the two,
  // and the output allowance is what that hold pays for (billing/allowance.ts).
  const prompt = exactPrompt ?? (await estimatePromptTokens(call));
  const range = reservationRange(price, groupRatio, prompt, ask, call.units);
  const outcome = await deps.ledger.reserve({ requestId, userId, tokenId, tokenLimited, amount: range.most, minimum: range.least });
  if (!outcome.ok) throw quotaShortError(outcome.short, outcome.needed, outcome.available);
  call.reserved = outcome.amount;
  call.output = allowanceFor(price, groupRatio, prompt, ask, call.units, outcome.amount, range);
  call.estimate = { prompt, completion: call.output.total };
}
