// What a finished call is billed for: the one place that decides, from what the relay knows when it settles, which
// token counts (and how many per-request units) are charged. cost.ts turns the answer into quota units.
//
// | outcome                                                   | billed                                                        |
// |-----------------------------------------------------------|---------------------------------------------------------------|
// | success                                                   | the upstream's usage; without one, estimated prompt + a local count of the generated text |
// | failure before any byte reached the client, no usage      | nothing                                                       |
// | failure after bytes reached the client (stream cut short) | what streamed: reported usage with completion ≥ the local count of the text that went out |
// | failure with usage known (non-stream answer filtered)     | that usage                                                    |
// | per-request priced models                                 | the requests on success, none on failure                      |
//
// The contract: a pure function of the facts below, no I/O. New rules (plausibility of upstream usage, a client that
// hung up after the upstream got the request, per-request prices) belong here, as facts in and a Billable out.
import type { Usage } from '../providers/types.js';
import type { Billable } from './cost.js';
import { countText } from './tokenizer.js';

/** What the relay knows about a call when it settles it (RelayCall has these fields). */
export interface SettleFacts {
  /** The model the client asked for (its tokenizer counts local text). */
  readonly model: string;
  /** Local counts made for the reservation. */
  readonly estimate?: { prompt: number } | undefined;
  /** The upstream's own usage report, if any (possibly partial when the call failed). */
  readonly usage?: Usage | undefined;
  /** Text that was generated (and, for a stream, sent on). */
  readonly generated: string;
  /** Bytes reached the client. */
  readonly committed: boolean;
  /** Requests a per-request price counts (images: n). */
  readonly units: number;
}

export function billedUsage(call: SettleFacts, failed: boolean): Billable {
  if (failed && !call.committed && call.usage === undefined) return NOTHING; // it never reached the client: full refund
  return { usage: tokensOf(call, failed), requests: failed ? 0 : call.units };
}

/**
 * The upstream's usage, else a local count of what was generated (prompt from the estimate). A stream that failed
 * part-way may carry only partial usage (Anthropic's message_start says output_tokens 1; Gemini's early events count
 * only the prompt): bill at least what was counted going out.
 */
function tokensOf(call: SettleFacts, failed: boolean): Usage {
  // The upstream's own count of a call that completed is final: no local tokenizing on that (the usual) path.
  if (call.usage && !failed) return call.usage;
  const counted = call.generated ? countText(call.generated, call.model) : 0;
  if (call.usage) return { ...call.usage, completionTokens: Math.max(call.usage.completionTokens, counted) };
  const reachedUpstream = call.committed || counted > 0;
  return { promptTokens: reachedUpstream ? (call.estimate?.prompt ?? 0) : 0, completionTokens: counted, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

const NOTHING: Billable = Object.freeze({ usage: Object.freeze({ promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }), requests: 0 });
