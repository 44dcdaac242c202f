// What admission reads from a call to reserve it: an upper-bound count of its prompt, and what it asks of the output
// side (billing/allowance.ts decides the allowance). Local counts are also the fallback bill when an upstream reports
// no usage.
import { countChatPrompt, countText } from '../billing/tokenizer.js';
import { imageTokens, unknownSizeImageTokens, type ImageDetail } from '../billing/vision.js';
import { audioTokens, fileTokens, unseenTokens } from '../billing/attachments.js';
import { outputMaximumOf, type OutputAsk } from '../billing/allowance.js';
import { inspectImage, parseDataUri } from '../media/image.js';
import type { ChatRequest, ContentPart, ImagePart } from '../providers/types.js';
import { isRecord } from '../providers/json.js';
import type { Options } from '../services/options.js';
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

/** A part that is neither text nor an image: a file, audio, or something the relay cannot see (attachments.ts). */
function attachmentTokens(model: string, part: ContentPart): number {
  if (part.type === 'input_audio' && isRecord(part.input_audio) && typeof part.input_audio.data === 'string') {
    return audioTokens(part.input_audio.data);
  }
  if (part.type === 'file' && isRecord(part.file) && typeof part.file.file_data === 'string') {
    return fileTokens(part.file.file_data, model);
  }
  return unseenTokens(model); // a file id or URL, video, an unknown part type
}

/** A chat prompt, every part of it counted or bounded from above (also /v1/messages/count_tokens). */
export async function estimateChatPrompt(chat: Pick<ChatRequest, 'messages' | 'tools'>, model: string): Promise<number> {
  const { tokens, images, attachments } = countChatPrompt(chat.messages, model, chat.tools);
  let total = tokens;
  for (const image of images) total += await imagePartTokens(model, image);
  for (const part of attachments) total += attachmentTokens(model, part);
  return total;
}

/**
 * Request features that bring in input the relay never sees, billed by the upstream as prompt tokens: Anthropic's MCP
 * servers (their tool results), Gemini's URL context (the pages it fetches), OpenAI's web search options. Each call
 * using one is bounded by the model's context window.
 */
function fetchedInputTokens(body: Record<string, unknown>, model: string): number {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const fetches =
    (Array.isArray(body.mcp_servers) && body.mcp_servers.length > 0) ||
    (body.web_search_options !== undefined && body.web_search_options !== null) ||
    tools.some((t) => isRecord(t) && (t.urlContext !== undefined || t.url_context !== undefined));
  return fetches ? unseenTokens(model) : 0;
}

/**
 * A chat prompt bounded from above without tokenizing: every text counted as its UTF-8 bytes (countChatPrompt's
 * `bytes`), fetched input as in the exact count. Undefined for anything but a chat of text (images and attachments
 * need their own rules, and their bytes say nothing of their tokens): those are counted exactly.
 */
export function promptBoundFromBytes(call: RelayCall): number | undefined {
  if (!call.chat) return undefined;
  const { tokens, images, attachments } = countChatPrompt(call.chat.messages, call.model, call.chat.tools, { bytes: true });
  if (images.length > 0 || attachments.length > 0) return undefined;
  return tokens + fetchedInputTokens(call.body, call.model);
}

/**
 * The exact count of a prompt promptBoundFromBytes bounded (text only, so synchronous): what settle bills as the prompt
 * when the upstream reports none.
 */
export function countTextChatPrompt(call: RelayCall): number {
  if (!call.chat) return 0;
  return countChatPrompt(call.chat.messages, call.model, call.chat.tools).tokens + fetchedInputTokens(call.body, call.model);
}

export async function estimatePromptTokens(call: RelayCall): Promise<number> {
  if (call.chat) return (await estimateChatPrompt(call.chat, call.model)) + fetchedInputTokens(call.body, call.model) + (call.unseenPrompt ?? 0);
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

/** Legacy /v1/completions generate 16 tokens when not told (OpenAI's default, and vLLM's). */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/**
 * What the call asks of the output side, in every wire format's words (the inbound formats put Anthropic's max_tokens
 * and Gemini's maxOutputTokens into max_tokens, candidateCount into n; Responses' max_output_tokens is read too).
 * Undefined for calls that generate no tokens (embeddings, images, speech, moderations, rerank).
 */
export function outputAskOf(call: Pick<RelayCall, 'kind' | 'chat' | 'body' | 'model'>, options: Pick<Options, 'defaultCompletionEstimate' | 'maxOutputTokens'>): OutputAsk | undefined {
  const fallback = options.defaultCompletionEstimate;
  switch (call.kind) {
    case 'chat': {
      const b = (call.chat ?? call.body) as Record<string, unknown>;
      const prediction = predictionTokens(b.prediction, call.model);
      return {
        requested: count(b.max_completion_tokens) ?? count(b.max_tokens) ?? count(b.max_output_tokens),
        choices: count(b.n) ?? 1,
        upstreamDefault: outputMaximumOf(call.model, options.maxOutputTokens),
        fallback,
        limitable: true,
        ...(prediction > 0 ? { unlimited: prediction } : {}),
      };
    }
    case 'completions': {
      const b = call.body;
      return {
        requested: count(b.max_tokens),
        choices: Math.max(count(b.n) ?? 1, count(b.best_of) ?? 1), // best_of candidates are all generated and billed
        upstreamDefault: COMPLETIONS_DEFAULT_MAX_TOKENS,
        fallback,
        limitable: true,
      };
    }
    case 'transcriptions':
      // The transcript's length follows the audio; nothing can limit it. Reserve the fallback, bill what comes.
      return { requested: undefined, choices: 1, upstreamDefault: fallback, fallback, limitable: false };
    default:
      return undefined;
  }
}

/** OpenAI's predicted outputs: the prediction's tokens that the answer does not use are billed as output. */
function predictionTokens(prediction: unknown, model: string): number {
  if (!isRecord(prediction)) return 0;
  const content = prediction.content;
  if (typeof content === 'string') return countText(content, model);
  if (!Array.isArray(content)) return 0;
  return content.reduce((sum: number, part) => sum + (isRecord(part) && typeof part.text === 'string' ? countText(part.text, model) : 0), 0);
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}
