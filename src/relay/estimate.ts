// Local token estimates for the reservation (and the fallback bill when an upstream reports no usage).
import { countChatPrompt, countText } from '../billing/tokenizer.js';
import { imageTokens, unknownSizeImageTokens, type ImageDetail } from '../billing/vision.js';
import { inspectImage, parseDataUri } from '../media/image.js';
import type { ImagePart } from '../providers/types.js';
import type { RelayCall } from './call.js';

/** Image tokens: exact from the header of an inline image; the model's worst case for a URL not fetched yet. */
async function imagePartTokens(model: string, part: ImagePart): Promise<number> {
  const detail: ImageDetail = part.image_url.detail ?? 'auto';
  if (part.image_url.url.startsWith('data:')) {
    try {
      const { width, height } = await inspectImage(parseDataUri(part.image_url.url).bytes);
      return imageTokens(model, width, height, detail);
    } catch {
      return unknownSizeImageTokens(model, detail); // the upstream will refuse a broken image; reserve the worst case
    }
  }
  return unknownSizeImageTokens(model, detail);
}

export async function estimatePromptTokens(call: RelayCall): Promise<number> {
  if (call.chat) {
    const { tokens, images } = countChatPrompt(call.chat.messages, call.model, call.chat.tools);
    let total = tokens;
    for (const image of images) total += await imagePartTokens(call.model, image);
    return total;
  }
  switch (call.kind) {
    case 'completions':
    case 'images':
      return countInput(call.body.prompt, call.model);
    case 'rerank':
      return countInput(call.body.query, call.model) + countInput(call.body.documents, call.model);
    case 'transcriptions':
      return 0; // audio: billed on the transcript
    default:
      return countInput(call.body.input, call.model); // embeddings, moderations, speech (characters ≈ tokens)
  }
}

/** Completions `prompt` / embeddings `input`: a string, a list of strings, or token arrays (already counted). */
function countInput(input: unknown, model: string): number {
  if (typeof input === 'string') return countText(input, model);
  if (Array.isArray(input)) {
    let total = 0;
    for (const item of input) {
      if (typeof item === 'string') total += countText(item, model);
      else if (item && typeof item === 'object' && typeof (item as { text?: unknown }).text === 'string') total += countText((item as { text: string }).text, model);
      else if (typeof item === 'number') total += 1;
      else if (Array.isArray(item)) total += item.length;
    }
    return total;
  }
  return 0;
}

/** Completion tokens to reserve: what the client capped it at, else the admin's default; × n choices. */
export function completionAllowance(call: RelayCall, defaultEstimate: number): number {
  if (call.kind !== 'chat' && call.kind !== 'completions') return call.kind === 'transcriptions' ? defaultEstimate : 0;
  const b = (call.chat ?? call.body) as Record<string, unknown>;
  const cap = num(b.max_completion_tokens) ?? num(b.max_tokens) ?? num(b.max_output_tokens);
  const n = num(b.n) ?? 1;
  const perChoice = cap ?? (call.kind === 'completions' ? 16 : defaultEstimate);
  return perChoice * Math.max(1, n);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}
