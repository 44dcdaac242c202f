// Canonical completion → Gemini GenerateContentResponse.
import type { ChatCompletion, ChatMessage, FinishReason, OpenAIUsage, Usage } from '../../../providers/types.js';
import { countOf, isRecord, tryParseJson } from '../../../providers/json.js';
import type { GeminiPart, GeminiResponse, GeminiUsageMetadata } from '../../../providers/gemini/types.js';

export function geminiFinishReason(reason: FinishReason | undefined): string {
  switch (reason) {
    case 'length':
      return 'MAX_TOKENS';
    case 'content_filter':
      return 'SAFETY';
    default:
      return 'STOP'; // Gemini reports function calls as STOP too
  }
}

/** Tool-call arguments as Gemini's args object (a truncated or non-object argument string becomes {}). */
export function argsOf(argumentsText: string | undefined): Record<string, unknown> {
  const parsed = argumentsText ? tryParseJson(argumentsText) : undefined;
  return isRecord(parsed) ? parsed : {};
}

function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}

export function partsOfMessage(message: ChatMessage): GeminiPart[] {
  const parts: GeminiPart[] = [];
  if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') {
    parts.push({ text: message.reasoning_content, thought: true });
  }
  const text = contentText(message.content);
  if (text !== '') parts.push({ text });
  for (const call of message.tool_calls ?? []) {
    parts.push({ functionCall: { name: call.function.name, args: argsOf(call.function.arguments) } });
  }
  return parts.length > 0 ? parts : [{ text: '' }];
}

/** OpenAI usage (prompt includes cached, completion includes reasoning) → usageMetadata. */
export function usageMetadataOf(usage: OpenAIUsage | undefined | null): GeminiUsageMetadata | undefined {
  if (!isRecord(usage)) return undefined;
  const prompt = countOf(usage.prompt_tokens) ?? 0;
  const completion = countOf(usage.completion_tokens) ?? 0;
  const details = usage.completion_tokens_details;
  const reasoning = Math.min(isRecord(details) ? (countOf(details.reasoning_tokens) ?? 0) : 0, completion);
  const promptDetails = usage.prompt_tokens_details;
  const cached = isRecord(promptDetails) ? (countOf(promptDetails.cached_tokens) ?? 0) : 0;
  return buildMetadata(prompt, completion - reasoning, reasoning, cached);
}

/** The billed usage (prompt excludes cache reads and writes) → usageMetadata. */
export function usageMetadataOfBilled(usage: Usage, reasoningTokens: number): GeminiUsageMetadata {
  const prompt = usage.promptTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const reasoning = Math.min(reasoningTokens, usage.completionTokens);
  return buildMetadata(prompt, usage.completionTokens - reasoning, reasoning, usage.cacheReadTokens);
}

function buildMetadata(prompt: number, candidates: number, thoughts: number, cached: number): GeminiUsageMetadata {
  const meta: GeminiUsageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
  };
  if (cached > 0) meta.cachedContentTokenCount = cached;
  if (thoughts > 0) meta.thoughtsTokenCount = thoughts;
  return meta;
}

export function geminiFromChatCompletion(completion: ChatCompletion, model: string): GeminiResponse {
  const response: GeminiResponse = {
    candidates: completion.choices.map((choice) => ({
      content: { role: 'model', parts: partsOfMessage(choice.message) },
      finishReason: geminiFinishReason(choice.finish_reason),
      index: choice.index,
    })),
  };
  const usage = usageMetadataOf(completion.usage);
  if (usage) response.usageMetadata = usage;
  response.modelVersion = model;
  response.responseId = completion.id;
  return response;
}
