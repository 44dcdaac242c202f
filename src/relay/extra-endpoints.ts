// OpenAI-only endpoints relayed as they are (images, speech, transcriptions, moderations, rerank): where each goes on an
// OpenAI-format channel, and what each is billed on. Chat, completions and embeddings have their own paths in attempt.ts.
import type { OpenAIOnlyKind, RelayCall } from './call.js';
import type { Usage } from '../providers/types.js';
import { countText } from '../billing/tokenizer.js';

/** Path replacing "/chat/completions" in the channel's chat URL (works for OpenAI-style and Azure deployment URLs). */
export const EXTRA_PATHS: Record<OpenAIOnlyKind, string> = {
  images: '/images/generations',
  speech: '/audio/speech',
  transcriptions: '/audio/transcriptions',
  moderations: '/moderations',
  rerank: '/rerank',
};

export function isOpenAIOnly(kind: RelayCall['kind']): kind is OpenAIOnlyKind {
  return kind in EXTRA_PATHS;
}

const usage = (promptTokens: number, completionTokens = 0): Usage => ({ promptTokens, completionTokens, cacheReadTokens: 0, cacheWriteTokens: 0 });
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);

/**
 * Billing usage for an answer. Per-request-priced models (dall-e-3 …) ignore it (the pipeline multiplies the price by
 * the number of images); token-priced ones use what the upstream reports, else a local count (`local`).
 */
export function extraUsage(call: RelayCall, json: Record<string, unknown> | undefined, text: string): { usage: Usage; generated: string; local: boolean } {
  const reported = (json?.usage ?? {}) as Record<string, unknown>;
  const input = int(reported.input_tokens) ?? int(reported.prompt_tokens);
  const output = int(reported.output_tokens) ?? int(reported.completion_tokens);
  const estimate = call.estimate?.prompt ?? 0;
  switch (call.kind as OpenAIOnlyKind) {
    case 'images':
      return { usage: usage(input ?? estimate, output ?? 0), generated: '', local: input === undefined };
    case 'speech': {
      // TTS is priced per input character.
      const chars = typeof call.body.input === 'string' ? [...call.body.input].length : 0;
      return { usage: usage(chars), generated: '', local: true };
    }
    case 'transcriptions': {
      const transcript = typeof json?.text === 'string' ? json.text : json ? '' : text;
      if (input !== undefined || output !== undefined) return { usage: usage(input ?? 0, output ?? 0), generated: transcript, local: false };
      return { usage: usage(0, countText(transcript, call.model)), generated: transcript, local: true };
    }
    case 'rerank': {
      const billed = int((json?.meta as { billed_units?: { search_units?: unknown } } | undefined)?.billed_units?.search_units);
      const tokens = int(reported.total_tokens) ?? input ?? billed;
      return { usage: usage(tokens ?? estimate), generated: '', local: tokens === undefined };
    }
    case 'moderations':
      return { usage: usage(input ?? estimate), generated: '', local: input === undefined };
  }
}
