// What a finished call is billed for: the one place that decides, from what the relay knows when it settles it, which
// token counts (and how many per-request units) are charged, and where those counts came from. cost.ts turns the
// answer into quota units.
//
// | outcome                                                      | billed                                                 |
// |--------------------------------------------------------------|--------------------------------------------------------|
// | the upstream finished the answer (delivered, or read to its  | the upstream's usage, where plausible; else the local  |
// | end after the client hung up)                                | counts (estimated prompt, counted generated text)      |
// | it failed before anything reached the client, nothing known  | nothing                                                |
// | it failed after the upstream produced something (a stream    | what was produced: the usage reported so far, with     |
// | cut short, a filtered answer)                                | completion ≥ the local count of the text; else local   |
// | per-request priced models                                    | the requests whenever tokens would be billed           |
//
// Plausible usage: an upstream that reports 0 prompt tokens, or 0 completion tokens while text came back, is not
// believed for that count (the local count is billed); `source` says which counts were used.
//
// The contract: a pure function of the facts below, no I/O.
import type { Usage } from '../providers/types.js';
import type { Billable } from './cost.js';
import type { UsageSource } from './usage-log.js';
import { countText } from './tokenizer.js';

/** What the relay knows about a call when it settles it (RelayCall has these fields). */
export interface SettleFacts {
  /** The model the client asked for (its tokenizer counts local text). */
  readonly model: string;
  /** Local counts made for the reservation. */
  readonly estimate?: { prompt: number } | undefined;
  /** The upstream's own usage report, if any (possibly partial when the call failed). */
  readonly usage?: Usage | undefined;
  /** `usage` is the relay's own count (speech characters, a transcript counted locally). */
  readonly usageIsLocal?: boolean | undefined;
  /** Text that was generated (and, for a stream, sent on). */
  readonly generated: string;
  /** Bytes reached the client. */
  readonly committed: boolean;
  /** Requests a per-request price counts (images: n). */
  readonly units: number;
}

export interface BilledUsage extends Billable {
  source: UsageSource;
}

/**
 * `finished`: the upstream's answer is complete (it was delivered, or read to its end for a client that left);
 * otherwise the call failed and is billed for what the upstream produced before it stopped.
 */
export function billedUsage(call: SettleFacts, finished: boolean): BilledUsage {
  if (!finished && !call.committed && call.usage === undefined && call.generated === '') return NOTHING; // it produced nothing
  const { usage, source } = finished ? finishedTokens(call) : partialTokens(call);
  return { usage, requests: call.units, source };
}

/**
 * Whether billedUsage reads the generated text for a call with this usage report: a failed call always, a finished one
 * when the report is missing, counts no completion tokens, or counts no prompt (then the text decides whether the
 * completion count is the upstream's or nothing, for `source`). A stream meter that leaves its events' text unread
 * (providers/openai/stream.ts) asks this before reading it.
 */
export function readsGeneratedText(usage: Usage | undefined, finished: boolean): boolean {
  if (!finished || !usage) return true;
  return usage.completionTokens === 0 || usage.promptTokens + usage.cacheReadTokens + usage.cacheWriteTokens === 0;
}

/** A finished answer: the upstream's count where it is plausible, the local count where it is not. */
function finishedTokens(call: SettleFacts): { usage: Usage; source: UsageSource } {
  const reported = call.usage;
  if (!reported) return { usage: localUsage(call), source: 'local' };
  if (call.usageIsLocal) return { usage: reported, source: 'local' };
  // The estimate is read only when the report has no prompt: on the cheap admission path, reading it tokenizes (admit.ts).
  const estimatedPrompt = reported.promptTokens + reported.cacheReadTokens + reported.cacheWriteTokens === 0 ? (call.estimate?.prompt ?? 0) : 0;
  const noPrompt = estimatedPrompt > 0;
  const noCompletion = reported.completionTokens === 0 && call.generated !== '';
  // The upstream's own count of a plausible answer is final: no local tokenizing on that (the usual) path.
  if (!noPrompt && !noCompletion) return { usage: reported, source: 'upstream' };
  const usage: Usage = {
    ...reported,
    promptTokens: noPrompt ? estimatedPrompt : reported.promptTokens,
    completionTokens: noCompletion ? countText(call.generated, call.model) : reported.completionTokens,
  };
  return { usage, source: noPrompt && (noCompletion || call.generated === '') ? 'local' : 'mixed' };
}

/**
 * A call that stopped part-way. A stream that failed may carry only partial usage (Anthropic's message_start says
 * output_tokens 1; Gemini's early events count only the prompt): bill at least what was counted going out.
 */
function partialTokens(call: SettleFacts): { usage: Usage; source: UsageSource } {
  const counted = call.generated ? countText(call.generated, call.model) : 0;
  const reported = call.usage;
  if (!reported) return { usage: localUsage(call, counted), source: 'local' };
  if (counted <= reported.completionTokens) return { usage: reported, source: call.usageIsLocal ? 'local' : 'upstream' };
  return { usage: { ...reported, completionTokens: counted }, source: 'mixed' };
}

function localUsage(call: SettleFacts, counted = call.generated ? countText(call.generated, call.model) : 0): Usage {
  return { promptTokens: call.estimate?.prompt ?? 0, completionTokens: counted, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

const NOTHING: BilledUsage = Object.freeze({
  usage: Object.freeze({ promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }),
  requests: 0,
  source: 'none' as const,
});
