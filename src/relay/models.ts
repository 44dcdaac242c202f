// Which models a caller can use, for every model listing (OpenAI's GET /v1/models, Gemini's GET /v1beta/models): a model
// is listed only when a call to it would pass admission's model checks. That is: routed (a channel that is not
// disabled serves it in the caller's group), priced (an admin or catalogue price, or defaultModelRatio; an unpriced
// model is refused with model_not_priced, so listing it would invite a failure), and allowed by the token's model list.
import type { RelayService } from './service.js';
import type { Payer } from './call.js';
import { checkModelAccess } from './admit.js';

type Lister = Pick<RelayService, 'channels' | 'pricing'>;

/** Every model the caller can use, sorted. */
export async function usableModels(relay: Lister, payer: Pick<Payer, 'group' | 'token'>): Promise<string[]> {
  await relay.channels.ensureLoaded();
  const allowed = payer.token?.models;
  return relay.channels
    .modelsOf(payer.group)
    .filter((model) => (!allowed || allowed.has(model)) && relay.pricing.find(model) !== undefined);
}

/** Passes when the caller can use `model`; otherwise throws the error a call to it would get (it says why). */
export async function checkUsable(relay: Lister, payer: Payer, model: string): Promise<void> {
  await checkModelAccess(relay, { model, payer }); // token list, group, unknown model
  relay.pricing.resolve(model); // model_not_priced
}
