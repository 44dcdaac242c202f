// The output allowance: how many output tokens a call may generate, decided once at admission. The reservation covers
// it, and whenever the upstream could otherwise generate more, it is sent upstream as the call's output limit (in the
// channel's own field: providers' limitOutput), so no call can cost more than it reserved (prompt counting aside).
//
//   asked     the client's own limit per choice (max_completion_tokens, max_tokens, max_output_tokens; Anthropic's
//             max_tokens and Gemini's maxOutputTokens arrive as max_tokens), else a generous default: the model's
//             output maximum (option maxOutputTokens, else the catalogue), else option defaultCompletionEstimate.
//   range     most  = the cost of the prompt and `asked` per choice (× n choices);
//             least = the cost of the prompt and 1 token per choice: the smallest call worth making.
//   reserve   the ledger holds `most` when the balance has it, else what the balance has, down to `least` (402 below).
//   allowance the largest per-choice count the hold pays for. It is enforced (sent upstream) when it is below what
//             the client asked for, or when the client asked nothing and the upstream's own default is not known to
//             fit (a model whose maximum is unknown, or a balance that could not cover it).
//
// A rich account asking nothing gets the model's maximum and no limit is added to its request; a small balance still
// makes small calls, with the output it can afford (the client sees finish_reason "length" / stop_reason "max_tokens").
// The hold is refunded down to the real cost at settle either way.
import { reservationOf } from './cost.js';
import type { ModelPrice } from './pricing.js';
import { lookup } from './pricing.js';
import type { Scaled } from './decimal.js';
import { DEFAULT_CONTEXT_WINDOWS, DEFAULT_MAX_OUTPUT_TOKENS } from './catalog.js';

/** What a call asks of the output side (format-neutral: every wire format's limit field is read into `requested`). */
export interface OutputAsk {
  /** The client's own limit per choice, if it gave one. */
  requested: number | undefined;
  /** Choices generated (n; legacy completions: the larger of n and best_of), each up to the limit. */
  choices: number;
  /** The most the upstream generates per choice when not told, if known. */
  upstreamDefault: number | undefined;
  /** The allowance when neither the client nor `upstreamDefault` says. */
  fallback: number;
  /** The limit can be sent upstream (chat, completions); otherwise the allowance is reserved but never enforced. */
  limitable: boolean;
  /** Output tokens that may be billed whatever the limit (OpenAI's predicted outputs: a rejected prediction). */
  unlimited?: number;
}

export interface OutputAllowance {
  /** Output tokens per choice the reservation pays for. */
  perChoice: number;
  /** perChoice × choices (+ the unlimited part): the completion count the reservation was computed with. */
  total: number;
  /** Send `perChoice` upstream as the output limit (the upstream could otherwise generate more than was reserved). */
  enforce: boolean;
}

/** The units a reservation may take: all of `most`, or what the balance has down to `least`. */
export interface ReservationRange {
  most: number;
  least: number;
}

/** Largest context window in use: the bound for input the relay cannot see, on a model the catalogue does not know. */
export const UNKNOWN_CONTEXT_WINDOW = 2_097_152;

/** The model's output maximum: the admin's (option maxOutputTokens), else the catalogue's, else unknown. */
export function outputMaximumOf(model: string, adminLimits: Readonly<Record<string, number>>): number | undefined {
  let known = maximumsByLimits.get(adminLimits);
  if (!known) maximumsByLimits.set(adminLimits, (known = new Map()));
  if (known.has(model)) return known.get(model);
  const limit = lookup(adminLimits, model, false) ?? lookup(DEFAULT_MAX_OUTPUT_TOKENS, model, false);
  const maximum = typeof limit === 'number' ? limit : undefined;
  if (known.size >= 10_000) known.clear(); // model names come from clients: bound what is kept
  known.set(model, maximum);
  return maximum;
}

/**
 * Answers of outputMaximumOf by the admin's limits object (a new one whenever options load, so a change is seen at
 * once). Every call asks it, and a model the catalogue does not list exactly costs a scan of all its keys.
 */
const maximumsByLimits = new WeakMap<object, Map<string, number | undefined>>();

/** The model's context window: the most input an upstream can bill for it. */
export function contextWindowOf(model: string): number {
  return knownContextWindowOf(model) ?? UNKNOWN_CONTEXT_WINDOW;
}

/** The catalogue's context window for the model, if it lists one. */
export function knownContextWindowOf(model: string): number | undefined {
  const window = lookup(DEFAULT_CONTEXT_WINDOWS, model, false);
  return typeof window === 'number' ? window : undefined;
}

/** Per-choice tokens the call wants when the balance is no object. */
function wanted(ask: OutputAsk): number {
  return ask.requested ?? ask.upstreamDefault ?? ask.fallback;
}

function costWith(price: ModelPrice, groupRatio: Scaled, prompt: number, completion: number, requests: number): number {
  return reservationOf(price, groupRatio, { prompt, completion }, requests);
}

/** What to ask the ledger for. A call without an output side (embeddings, …) or a per-request price has most = least. */
export function reservationRange(price: ModelPrice, groupRatio: Scaled, prompt: number, ask: OutputAsk | undefined, requests: number): ReservationRange {
  if (!ask) {
    const fixed = costWith(price, groupRatio, prompt, 0, requests);
    return { most: fixed, least: fixed };
  }
  const extra = ask.unlimited ?? 0;
  const most = costWith(price, groupRatio, prompt, wanted(ask) * ask.choices + extra, requests);
  const least = ask.limitable ? costWith(price, groupRatio, prompt, ask.choices + extra, requests) : most;
  return { most, least };
}

/**
 * The allowance a hold of `held` units pays for (held ≥ the range's least). `range`: reservationRange's answer for the
 * same price, prompt, ask and requests, when the caller has it (it spares recomputing two exact costs).
 */
export function allowanceFor(
  price: ModelPrice,
  groupRatio: Scaled,
  prompt: number,
  ask: OutputAsk | undefined,
  requests: number,
  held: number,
  range?: ReservationRange,
): OutputAllowance {
  if (!ask) return { perChoice: 0, total: 0, enforce: false };
  const want = wanted(ask);
  const cost = (perChoice: number) => costWith(price, groupRatio, prompt, perChoice * ask.choices + (ask.unlimited ?? 0), requests);
  const costOfWant = range?.most ?? cost(want);
  const costOfOne = range && ask.limitable ? range.least : cost(1);
  let perChoice = want;
  if (costOfWant > held) {
    // The cost grows with the count: the largest count whose cost fits, by bisection (≤ 40 exact cost computations).
    let low = 1;
    let high = want;
    while (low < high) {
      const mid = low + Math.ceil((high - low) / 2);
      if (cost(mid) <= held) low = mid;
      else high = mid - 1;
    }
    perChoice = low;
  }
  // Output that costs nothing (a free model, a zero completion ratio, a per-request price) needs no limit.
  const outputIsFree = costOfWant === costOfOne;
  const enforce =
    ask.limitable &&
    !outputIsFree &&
    (ask.requested !== undefined ? perChoice < ask.requested : ask.upstreamDefault === undefined || perChoice < ask.upstreamDefault);
  return { perChoice, total: perChoice * ask.choices + (ask.unlimited ?? 0), enforce };
}
