// Client formats other than OpenAI's. An inbound format converts the client's request to the canonical ChatRequest and
// the canonical answer back, so any channel can serve it. When the chosen channel natively speaks the same format, the
// pipeline skips both conversions and forwards the body as is (see ProviderAdapter.native).
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, Usage } from '../../providers/types.js';

/** Canonical chunks → the client's stream text. (An error after the stream started: src/relay/error-formats.ts.) */
export interface StreamEncoder {
  /** SSE text (zero or more complete events) for one canonical chunk. */
  encode(chunk: ChatCompletionChunk): string;
  /** Closing events; `usage` is what the relay will bill (so the client sees the same numbers). */
  finish(usage: Usage | undefined): string;
  /** Formats that number their events (Responses): the last number written. */
  readonly sequence?: number;
}

export interface InboundFormat {
  readonly format: 'anthropic' | 'gemini' | 'responses';
  /**
   * Validates and converts. Throws RelayError('invalid_request', message, 400, { param }) naming the bad field.
   * `model`/`stream` come from the URL for Gemini (`/v1beta/models/{model}:streamGenerateContent`).
   */
  toChatRequest(body: unknown, from: { model?: string; stream?: boolean }): ChatRequest;
  fromChatCompletion(completion: ChatCompletion, model: string): unknown;
  createStreamEncoder(model: string): StreamEncoder;
  /** The output items of the translated answer, once it is complete (Responses: clients may refer back to them by id). */
  outputItems?(): readonly Record<string, unknown>[] | undefined;
}
