// RelayCall: everything known about one relay request, filled in stage by stage (see docs/lifecycle.md).
// One typed object instead of a string-keyed bag, so each stage says what it reads and writes.
import type { ChatRequest, Usage } from '../providers/types.js';
import type { InboundFormat } from './inbound/types.js';
import type { RelayToken } from './token-auth.js';
import type { ModelPrice } from '../billing/pricing.js';
import type { GroupInfo } from './groups.js';
import type { RouteChoice } from './channels.js';
import type { CallSource } from './chat.js';
import type { ErrorCode } from '../errors.js';
import type { OutputAllowance } from '../billing/allowance.js';
import type { RateLimitTicket } from './rate-limits.js';

/** What the client reads: a wire format, or (in-process callers: the bots) the answer's text itself. */
export type ClientFormat = 'openai' | 'responses' | 'anthropic' | 'gemini' | 'text';
export type CallKind = 'chat' | 'completions' | 'embeddings' | OpenAIOnlyKind;
/** Endpoints relayed as is to OpenAI-format channels only. */
export type OpenAIOnlyKind = 'images' | 'speech' | 'transcriptions' | 'moderations' | 'rerank';

/** Who pays: a relay token's owner (API), or an account directly (bots). */
export interface Payer {
  userId: number;
  token: RelayToken | null;
  group: string;
  source: CallSource;
  /** An admin or the root: errors carry the upstream's own (scrubbed) words instead of a generic message. */
  admin?: boolean;
}

export interface RelayCall {
  readonly id: string;
  readonly startedAt: number;
  /** The route, for the usage log ("/v1/chat/completions"). */
  readonly endpoint: string;
  readonly kind: CallKind;
  readonly format: ClientFormat;
  readonly payer: Payer;
  /** The model the client asked for. */
  readonly model: string;
  readonly stream: boolean;
  /** The client's body as sent (native pass-through uses it). */
  readonly body: Record<string, unknown>;
  /** The canonical request (chat calls). */
  readonly chat: ChatRequest | undefined;
  readonly inbound: InboundFormat | undefined;
  /** OpenAI streams: the client asked for the usage chunk itself (we always ask upstream for it). */
  readonly clientWantsUsage: boolean;
  /** Client headers passed on in native pass-through (e.g. anthropic-beta, which turns on features per request). */
  readonly forwardHeaders: Record<string, string>;
  /** The bot conversation the call belongs to (prompt-cache affinity). */
  readonly conversation?: number;
  /**
   * Why this call can only be served natively (a Responses request naming a built-in tool or a stored item): a
   * channel that would have to translate it refuses it with this message, and the next one is tried.
   */
  readonly untranslatable?: string | undefined;
  /**
   * Prompt tokens the canonical request does not carry but the upstream bills, bounded from above (a Responses call:
   * reasoning items passed back, the stored conversation a previous_response_id continues, tools fetching input).
   */
  readonly unseenPrompt?: number | undefined;
  /** Only this channel and key may serve the call (a Responses follow-up: the upstream that holds the conversation). */
  readonly pinned?: { channelId: number; keyId: number | null; why: string } | undefined;

  // admit
  price?: ModelPrice;
  group?: GroupInfo;
  /** Locally counted prompt tokens (an upper bound) and the completion tokens the reservation covers. */
  estimate?: { prompt: number; completion: number };
  reserved?: number;
  /** The output tokens the reservation pays for, and whether the upstream must be told (billing/allowance.ts). */
  output?: OutputAllowance;
  /** What the call took from its rate limits (undefined: nothing limits it), settled when it ends. */
  rateLimit?: RateLimitTicket;

  // forward
  route?: RouteChoice;
  /** Every upstream attempt so far, in order. */
  readonly attempts: AttemptRecord[];
  /** Bytes reached the client: nothing may be retried from here on. */
  committed: boolean;
  firstByteAt?: number;
  /** A complete non-stream answer, sent by the pipeline with the charge recorded (pipeline.ts, runCall). */
  pendingBody?: { body: string | Buffer; contentType: string };
  /** A stream's closing events ([DONE], message_stop, the final usage chunk), sent with the charge recorded. */
  pendingTail?: string;
  /** Requests priced per call count this many times (images: n). */
  units: number;
  /** multipart/form-data bodies (audio transcriptions) are relayed as form data. */
  readonly form: FormData | undefined;
  /** Text generated so far (for local counting when the upstream reports no usage). */
  generated: string;
  /** The upstream's usage report (for images, speech, …: what extra-endpoints.ts reads or counts). */
  usage?: Usage;
  /** `usage` was counted by the relay, not reported by the upstream (speech characters, a local transcript count). */
  usageIsLocal?: boolean;
  /** The upstream's id for the answer (a native Responses call: the response id, remembered for follow-ups). */
  upstreamId?: string;
  /** The last event sequence number the client saw (Responses streams): an error event after it continues the count. */
  sequence?: number;
}

/** One upstream attempt, as the usage log, a circuit breaker and metrics need it. */
export interface AttemptRecord {
  channelId: number;
  /** The ChannelKey row's id (null: a key-less channel). */
  keyId: number | null;
  outcome: 'done' | 'retry' | 'failed';
  /** 'ok', or the error the attempt ended with (upstream_error, upstream_timeout, no_channel, …). */
  code: ErrorCode | 'ok';
  /** A failure meaning "broken for now" (timeout, overloaded, …): what the breaker counts. */
  fault?: string;
  /** The HTTP status that outcome means for the client. */
  status: number;
  /** The upstream's own HTTP status, when it answered with an error. */
  upstreamStatus?: number;
  ms: number;
}

/**
 * Completes `init` (a fresh object the caller hands over) into the call's state, without copying it. Every field the
 * stages fill in later is created here, in one order, so that every call has the same shape whatever path it takes:
 * fields added later, in an order that differs between streams, errors and formats, give V8 one hidden class per
 * path, and the code every call goes through (settle, the usage log, metrics) then reads them on a slow path.
 */
export function newCall(init: Omit<RelayCall, 'attempts' | 'committed' | 'generated' | 'units'>): RelayCall {
  const n = init.body.n;
  const call = init as RelayCall;
  (call as { attempts: AttemptRecord[] }).attempts = [];
  call.committed = false;
  call.generated = '';
  call.units = init.kind === 'images' && typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 1;
  call.price = undefined;
  call.group = undefined;
  call.estimate = undefined;
  call.reserved = undefined;
  call.output = undefined;
  call.rateLimit = undefined;
  call.route = undefined;
  call.firstByteAt = undefined;
  call.pendingBody = undefined;
  call.pendingTail = undefined;
  call.usage = undefined;
  call.usageIsLocal = undefined;
  call.upstreamId = undefined;
  call.sequence = undefined;
  return call;
}
