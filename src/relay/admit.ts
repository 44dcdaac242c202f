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

/** The balance is "far above" a bytes-bounded hold when it could pay for this many of them. */
const PLENTY_OF_ROOM = 100;

/**
 * The call's estimate with the exact prompt count taken only if something reads it: settle does only when the upstream
 * reports no (plausible) prompt usage, so the usual call never tokenizes its prompt.
 */
function countedWhenRead(count: () => number, completion: number): { prompt: number; completion: number } {
  let prompt: number | undefined;
  return {
    get prompt() {
      return (prompt ??= count());
    },
    completion,
  };
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

  const ask = outputAskOf(call, deps.options.current);
  const limits = limitsOf(call);
  // Tokens per minute: the prompt and the output asked (not the upstream's maximum, which would make a limit useless).
  const askedTokens = ask ? ask.choices * (ask.requested ?? ask.fallback) + (ask.unlimited ?? 0) : 0;
  const token = call.payer.token;
  const holder = { requestId: call.id, userId: call.payer.userId, tokenId: token?.id ?? null, tokenLimited: token?.limited ?? false };

  // A balance far above what the call can cost does not need the prompt tokenized: its bytes bound it from above, and
  // the hold of that bound is all-or-nothing, so the call gets its whole output allowance as it would with the exact
  // count. Nearer the end of a balance, with images and files, or under a tokens-per-minute limit (which counts the
  // prompt), the prompt is counted exactly, below.
  const bound = limits.tokenTpm === null && limits.groupTpm === null ? promptBoundFromBytes(call) : undefined;
  let prompt = bound === undefined ? await estimatePromptTokens(call) : undefined;
  call.rateLimit = await deps.rateLimits.admit(call, limits, (prompt ?? bound ?? 0) + askedTokens);
  try {
    if (bound !== undefined) {
      const most = reservationRange(price, group.ratio, bound, ask, call.units).most;
      const cheap = await deps.ledger.reserve({ ...holder, amount: most, minimum: most, onlyIfAvailable: most * PLENTY_OF_ROOM });
      if (cheap.ok) {
        call.reserved = cheap.amount;
        call.output = allowanceFor(price, group.ratio, bound, ask, call.units, cheap.amount);
        call.estimate = countedWhenRead(() => countTextChatPrompt(call), call.output.total);
        return;
      }
      prompt = await estimatePromptTokens(call);
    }
    const counted = prompt!;
    // The most the call can cost and the least it can run on; the ledger holds what the balance has between the two,
    // and the output allowance is what that hold pays for (billing/allowance.ts).
    const range = reservationRange(price, group.ratio, counted, ask, call.units);
    const outcome = await deps.ledger.reserve({ ...holder, amount: range.most, minimum: range.least });
    if (!outcome.ok) throw quotaShortError(outcome.short, outcome.needed, outcome.available);
    call.reserved = outcome.amount;
    call.output = allowanceFor(price, group.ratio, counted, ask, call.units, outcome.amount);
    call.estimate = { prompt: counted, completion: call.output.total };
  } catch (err) {
    await deps.rateLimits.finish(call.rateLimit, 0); // a refused call keeps its request counted, gives its tokens back
    throw err;
  }
}
