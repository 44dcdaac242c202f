import type { FormData as UndiciFormData } from 'undici';

// The provider adapter contract. The relay's canonical request/response format is OpenAI Chat Completions: every
// client format (OpenAI, Anthropic /v1/messages, Gemini native) is converted to it on the way in (src/relay/inbound),
// and every upstream provider is spoken to through an adapter that converts it to the provider's wire format and back.
// Adapters are pure: no I/O, no clock, no randomness beyond what the caller passes in. The relay pipeline does the HTTP
// (one shared undici forwarder), the SSE framing (eventsource-parser) and the billing.

/* ----------------------------------------------------------------------------------------------------------------
 * Canonical (OpenAI Chat Completions) shapes. Only the fields the relay or a translation needs are named; everything
 * else passes through untouched via the index signature.
 * -------------------------------------------------------------------------------------------------------------- */

export interface TextPart {
  type: 'text';
  text: string;
}
export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}
export type ContentPart = TextPart | ImagePart | { type: string; [k: string]: unknown };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  /** DeepSeek/Qwen-style reasoning text; Anthropic "thinking" maps here. */
  reasoning_content?: string;
  [k: string]: unknown;
}

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  tools?: FunctionTool[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: Record<string, unknown> };
  user?: string;
  [k: string]: unknown;
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [k: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [k: string]: unknown };
  /** Not OpenAI's: carried for Anthropic-origin usage so cache writes can be billed. */
  cache_creation_input_tokens?: number;
  [k: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: ChatMessage & { role: 'assistant' };
    finish_reason: FinishReason;
    logprobs?: unknown;
  }>;
  usage?: OpenAIUsage;
  system_fingerprint?: string | null;
  [k: string]: unknown;
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  reasoning_content?: string | null;
  tool_calls?: Array<{ index: number; id?: string; type?: 'function'; function?: { name?: string; arguments?: string } }>;
  [k: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: ChunkDelta; finish_reason: FinishReason; logprobs?: unknown }>;
  usage?: OpenAIUsage | null;
  [k: string]: unknown;
}

/** Token counts the relay bills on. Cache counts are part of, not in addition to, the prompt count's source data. */
export interface Usage {
  /** Prompt tokens billed at the normal prompt rate (cache reads and writes excluded). */
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/* ----------------------------------------------------------------------------------------------------------------
 * Upstream side
 * -------------------------------------------------------------------------------------------------------------- */

/** Per-channel settings an adapter may need (stored as the channel's `config` JSON). */
export interface ChannelConfig {
  /** Azure: api-version query parameter. Anthropic: anthropic-version header. */
  apiVersion?: string;
  /** Extra headers sent upstream (e.g. OpenRouter's HTTP-Referer). */
  headers?: Record<string, string>;
  /** Connect + time-to-first-byte timeout; total timeout. Milliseconds. */
  firstByteTimeoutMs?: number;
  totalTimeoutMs?: number;
  /** Anthropic: max_tokens when the client gives none (default 4096). */
  defaultMaxTokens?: number;
  /** Re-test this auto-disabled channel periodically and re-enable it when it passes. */
  autoReenable?: boolean;
  [k: string]: unknown;
}

/** Where one attempt goes: the channel's base URL, one of its keys, and the model name after mapping. */
export interface UpstreamTarget {
  baseUrl: string;
  key: string;
  /** The model name the upstream knows (after the channel's model mapping). */
  model: string;
  config: ChannelConfig;
}

export interface UpstreamRequest {
  method: 'POST' | 'GET' | 'DELETE';
  url: string;
  /** A fresh object for each request: the relay adds the client's forwarded headers to it. */
  headers: Record<string, string>;
  body?: string;
  /** Instead of body: form data (audio transcriptions); the HTTP client writes the multipart boundary. */
  form?: UndiciFormData;
}

/** What an upstream error means for routing. */
export type UpstreamErrorKind =
  | 'invalid_key' // key invalid, revoked, or no access: disable the key/channel
  | 'no_credit' // the upstream account is out of money: disable the key/channel
  | 'rate_limited' // 429: try another channel
  | 'overloaded' // 5xx / 529: try another channel
  | 'bad_request' // the client's request is wrong: pass it on, do not retry
  | 'other';

export interface UpstreamErrorInfo {
  kind: UpstreamErrorKind;
  /** The upstream's own message, passed on to the client. */
  message: string;
  type?: string;
  code?: string;
}

/** One server-sent event as framed by eventsource-parser. */
export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

/** Context for a translated stream: the relay's id and timestamp for chunks it makes, and the client-facing model name. */
export interface StreamContext {
  id: string;
  created: number;
  model: string;
}

/**
 * Translates one upstream stream into canonical chunks. Typed state lives in the instance; `push` is called once per
 * upstream SSE event (or, for Gemini's JSON array stream, once per element via `data`), `finish` once at the end.
 * An in-stream upstream error is thrown as UpstreamStreamError.
 */
export interface ChatStreamTranslator {
  push(event: SseEvent): ChatCompletionChunk[];
  finish(): { chunks: ChatCompletionChunk[]; usage: Usage | undefined };
}

export class UpstreamStreamError extends Error {
  override name = 'UpstreamStreamError';
  constructor(readonly info: UpstreamErrorInfo) {
    super(info.message);
  }
}

/** What one event of a native pass-through stream is, as the adapter's own parsing of it says. */
export interface NativeStreamEvent {
  /** The text it generated ('' if none), for local counting when the upstream reports no usage. */
  readonly delta: string;
  /** It completes the stream ([DONE], message_stop, a Gemini finishReason): a stream without one was cut short. */
  readonly ended: boolean;
  /** It only closes the stream ([DONE], message_stop): the relay holds it back until the call is settled. */
  readonly closing: boolean;
  /** The upstream's own error, reported inside the stream. */
  readonly error?: UpstreamErrorInfo;
  /** It carries nothing but usage (OpenAI's include_usage chunk): passed on only to a client that asked for it. */
  readonly usageOnly: boolean;
  /** The upstream's id for the answer, when this event names it (Responses' response.created). */
  readonly id?: string;
  /** The event's own sequence number (Responses streams number every event). */
  readonly sequence?: number;
}

/** An event that is none of the above (a keep-alive, a ping, a block start, data that does not parse). */
export const PLAIN_EVENT: NativeStreamEvent = Object.freeze({ delta: '', ended: false, closing: false, usageOnly: false });

/** Reads a native pass-through stream event by event, without changing a byte of it. */
export interface NativeStreamMeter {
  /** What the event is; never throws (a meter only watches the stream it meters). */
  push(event: SseEvent): NativeStreamEvent;
  /** Usage as reported by the upstream so far (undefined if it reported none). */
  usage(): Usage | undefined;
  /**
   * A meter may leave the text of some events unread (their `delta` is then ''): this reads it, in order, and returns
   * it. The attempt asks when the text is needed (content filter, billing); pushes stay in order around it.
   */
  unreadText?(): string;
}

export interface ProviderAdapter {
  /** The channel type this adapter serves ("openai", "azure", "anthropic", "gemini", ...). */
  readonly type: string;
  /**
   * The client-side format this upstream speaks natively. When a client calls in the same format, the relay forwards
   * the body as is (changing only the model) and meters it with `native`, which keeps features no translation knows.
   */
  readonly nativeFormat: 'openai' | 'anthropic' | 'gemini';
  /**
   * The upstream cannot fetch image URLs itself (Gemini): the pipeline downloads http(s) image parts through the
   * SSRF-safe fetcher and replaces them with data: URIs before calling buildChatRequest.
   */
  readonly requiresInlineImages: boolean;

  buildChatRequest(req: ChatRequest, target: UpstreamTarget): UpstreamRequest;
  /** A 2xx JSON body → canonical completion (with usage in OpenAI form, when the upstream reported any). */
  parseChatResponse(body: unknown, ctx: StreamContext): ChatCompletion;
  createChatStream(ctx: StreamContext): ChatStreamTranslator;
  /** A non-2xx answer (status + raw body text) → what it means. Must not throw on garbage. */
  parseError(status: number, bodyText: string): UpstreamErrorInfo;
  /** Billing usage from a canonical usage object (handles each provider's cache-token conventions). */
  usageOf(usage: OpenAIUsage | undefined | null): Usage | undefined;

  /** Native pass-through (client format === nativeFormat). */
  native: NativeApi;
  /**
   * OpenAI's Responses API (POST /v1/responses), spoken natively: only OpenAI and Azure channels have it. Every other
   * channel type serves a Responses client through the canonical translation.
   */
  responses?: ResponsesApi;

  /** Embeddings, when the provider has them in a form we translate (OpenAI-family: pass-through). */
  buildEmbeddingsRequest?(body: Record<string, unknown>, target: UpstreamTarget): UpstreamRequest;
  /** A cheap request that proves the channel works (used by POST /api/channels/:id/test and re-enable). */
  buildTestRequest(target: UpstreamTarget): UpstreamRequest;
}

/** One wire format spoken natively: the client's body forwarded as is, its answer metered as it passes. */
export interface NativeApi {
  buildRequest(body: Record<string, unknown>, target: UpstreamTarget, stream: boolean): UpstreamRequest;
  /**
   * The client's body with its output limit lowered to `tokens` per choice, in this format's own field (the field
   * the client used, else the one this channel type expects for `model`, the upstream's model name). The relay sets
   * a limit only where the reservation could not pay for more (billing/allowance.ts).
   */
  limitOutput(body: Record<string, unknown>, tokens: number, model: string): Record<string, unknown>;
  usageOfResponse(body: unknown): Usage | undefined;
  textOfResponse(body: unknown): string;
  createStreamMeter(): NativeStreamMeter;
  /** The upstream's id for a whole answer (Responses: the response id), when the format has one worth keeping. */
  idOfResponse?(body: unknown): string | undefined;
}

/** The Responses API natively, and its stored responses (GET / DELETE /v1/responses/{id}, …/cancel, …/input_items). */
export interface ResponsesApi extends NativeApi {
  /** A request about a stored response: `path` is what follows /v1/responses ("/resp_1", "/resp_1/cancel"), query included. */
  buildResourceRequest(target: UpstreamTarget, method: 'GET' | 'POST' | 'DELETE', path: string): UpstreamRequest;
}
