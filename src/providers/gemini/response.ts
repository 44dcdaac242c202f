// Gemini generateContent answer → canonical completion; Gemini usage → OpenAI usage.
import { RelayError } from '../../errors.js';
import type { ChatCompletion, FinishReason, OpenAIUsage, StreamContext, ToolCall } from '../types.js';
import { countOf, isRecord, stringOf } from '../json.js';
import type { GeminiCandidate, GeminiPart, GeminiResponse, GeminiUsageMetadata } from './types.js';

const CONTENT_FILTER = new Set([
  'SAFETY',
  'RECITATION',
  'PROHIBITED_CONTENT',
  'BLOCKLIST',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
]);

/** Gemini says STOP when it calls a function; OpenAI clients look for tool_calls. */
export function finishReasonOf(reason: string | undefined, calledFunction: boolean): FinishReason {
  if (reason === undefined) return null;
  if (CONTENT_FILTER.has(reason)) return 'content_filter';
  if (reason === 'MAX_TOKENS') return 'length';
  return calledFunction ? 'tool_calls' : 'stop';
}

/** Gemini's prompt count includes cached tokens, as OpenAI's does; thoughts are output billed beside the answer. */
export function openaiUsageFromGemini(meta: unknown): OpenAIUsage | undefined {
  if (!isRecord(meta)) return undefined;
  const usage = meta as GeminiUsageMetadata;
  const prompt = (countOf(usage.promptTokenCount) ?? 0) + (countOf(usage.toolUsePromptTokenCount) ?? 0);
  const thoughts = countOf(usage.thoughtsTokenCount) ?? 0;
  const completion = (countOf(usage.candidatesTokenCount) ?? 0) + thoughts;
  const cached = countOf(usage.cachedContentTokenCount) ?? 0;
  const out: OpenAIUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: countOf(usage.totalTokenCount) ?? prompt + completion,
  };
  if (cached > 0) out.prompt_tokens_details = { cached_tokens: cached };
  if (thoughts > 0) out.completion_tokens_details = { reasoning_tokens: thoughts };
  return out;
}

export interface PartsSummary {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
}

/**
 * Sorts a candidate's parts into answer text, reasoning text and tool calls. `firstToolIndex` continues the numbering
 * across stream events so ids stay call_0, call_1, ... within one answer.
 */
export function summarizeParts(parts: unknown, firstToolIndex = 0): PartsSummary {
  const summary: PartsSummary = { text: '', reasoning: '', toolCalls: [] };
  if (!Array.isArray(parts)) return summary;
  for (const raw of parts) {
    if (!isRecord(raw)) continue;
    const part = raw as GeminiPart;
    const call = part.functionCall;
    if (isRecord(call) && typeof call.name === 'string') {
      const toolCall: ToolCall = {
        id: `call_${firstToolIndex + summary.toolCalls.length}`,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(isRecord(call.args) ? call.args : {}) },
      };
      summary.toolCalls.push(toolCall);
      continue;
    }
    const text = stringOf(part.text);
    if (text === undefined) continue;
    if (part.thought === true) summary.reasoning += text;
    else summary.text += text;
  }
  return summary;
}

function choiceOf(candidate: GeminiCandidate, position: number): ChatCompletion['choices'][number] {
  const { text, reasoning, toolCalls } = summarizeParts(candidate.content?.parts);
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    index: countOf(candidate.index) ?? position,
    message,
    finish_reason: finishReasonOf(stringOf(candidate.finishReason), toolCalls.length > 0) ?? 'stop',
  };
}

export function parseGeminiResponse(body: unknown, ctx: StreamContext): ChatCompletion {
  if (!isRecord(body)) throw new RelayError('upstream_error', 'upstream answered with a body that is not a JSON object', 502);
  const response = body as GeminiResponse;
  const candidates = Array.isArray(response.candidates) ? response.candidates.filter(isRecord) : [];
  let choices: ChatCompletion['choices'];
  if (candidates.length > 0) {
    choices = candidates.map((candidate, i) => choiceOf(candidate, i));
  } else if (isRecord(response.promptFeedback) && response.promptFeedback.blockReason !== undefined) {
    // The prompt itself was blocked: no candidates at all.
    choices = [{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'content_filter' }];
  } else {
    throw new RelayError('upstream_error', 'upstream answer has no candidates', 502);
  }
  const completion: ChatCompletion = {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices,
  };
  const usage = openaiUsageFromGemini(response.usageMetadata);
  if (usage) completion.usage = usage;
  return completion;
}
