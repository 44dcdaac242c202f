// Canonical chat completion → a Responses API `response` object, as POST /v1/responses answers it when the channel
// does not speak the Responses API. Output items: reasoning (the upstream's reasoning text, as a summary), one
// assistant message, then one item per tool call (function_call, or custom_tool_call for freeform tools).
import type { ChatCompletion, FinishReason, Usage } from '../../../providers/types.js';
import { billingUsageOf } from '../../../providers/anthropic/usage.js';
import { isRecord, tryParseJson, type JsonObject } from '../../../providers/json.js';

/** What a translated answer echoes of its request, and which tools are freeform. */
export interface ResponseContext {
  /** This answer's own id, unique (not the upstream's, which need not be): resp_<id>, and its items' ids from it. */
  readonly id: string;
  readonly body: JsonObject;
  readonly customTools: ReadonlySet<string>;
  /** The answer's output items, set when it is complete (kept for item_reference). */
  output?: JsonObject[];
}

export function usageObjectOf(usage: Usage | undefined, reasoningTokens = 0): JsonObject {
  const input = (usage?.promptTokens ?? 0) + (usage?.cacheReadTokens ?? 0) + (usage?.cacheWriteTokens ?? 0);
  const output = usage?.completionTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage?.cacheReadTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: input + output,
  };
}

/** completed, or incomplete (cut at the output limit, or filtered) with the reason. */
export function statusOf(finish: FinishReason | undefined): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The response object around its output, echoing the request's settings as the API does. */
export function responseShell(ctx: ResponseContext, id: string, createdAt: number, model: string): JsonObject {
  const b = ctx.body;
  const reasoning = isRecord(b.reasoning) ? b.reasoning : {};
  const text = isRecord(b.text) ? b.text : {};
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    // Translated answers are not kept anywhere: nothing can be fetched or continued by id.
    store: false,
    temperature: b.temperature ?? null,
    text: { format: text.format ?? { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: Array.isArray(b.tools) ? b.tools : [],
    top_p: b.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: b.user ?? null,
    metadata: isRecord(b.metadata) ? b.metadata : {},
  };
}

export const outputText = (text: string): JsonObject => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** A finished tool call as its output item: custom tools get their raw input back out of the one-argument wrapper. */
export function toolItemOf(ctx: ResponseContext, itemId: string, callId: string, name: string, args: string): JsonObject {
  if (ctx.customTools.has(name)) {
    const parsed = tryParseJson(args);
    const input = isRecord(parsed) && typeof parsed.input === 'string' ? parsed.input : args;
    return { type: 'custom_tool_call', id: itemId, status: 'completed', call_id: callId, name, input };
  }
  return { type: 'function_call', id: itemId, status: 'completed', call_id: callId, name, arguments: args };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

export function fromChatCompletion(ctx: ResponseContext, completion: ChatCompletion, model: string): JsonObject {
  const base = ctx.id;
  const id = `resp_${base}`;
  const choice = completion.choices[0];
  const message = choice?.message;
  const output: JsonObject[] = [];
  if (message?.reasoning_content) {
    output.push({ type: 'reasoning', id: `rs_${base}`, summary: [{ type: 'summary_text', text: message.reasoning_content }] });
  }
  const text = textOf(message?.content);
  if (text !== '') output.push({ type: 'message', id: `msg_${base}`, status: 'completed', role: 'assistant', content: [outputText(text)] });
  (message?.tool_calls ?? []).forEach((call, i) => {
    output.push(toolItemOf(ctx, `fc_${base}_${i}`, call.id, call.function.name, call.function.arguments));
  });
  ctx.output = output;
  const reasoningTokens = completion.usage?.completion_tokens_details?.reasoning_tokens;
  return {
    ...responseShell(ctx, id, completion.created, model),
    ...statusOf(choice?.finish_reason),
    output,
    usage: usageObjectOf(billingUsageOf(completion.usage), typeof reasoningTokens === 'number' ? reasoningTokens : 0),
  };
}
