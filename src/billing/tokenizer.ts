// Local token counting for reservations and for upstreams that report no usage. Counts follow OpenAI's cookbook
// ("How to count tokens with tiktoken"): 3 tokens per message + the role and content, +1 for a `name`, +3 to prime
// the reply, and its formula for function definitions. Images are not counted here (see vision.ts): they are returned
// so the caller can price them once their size is known.
//
// Encodings: gpt-4o / gpt-4.1 / gpt-4.5 / gpt-5 / o-series (and gpt-oss, whose o200k_harmony shares o200k's ranks)
// use o200k_base; every other model, including non-OpenAI ones, is counted with cl100k_base as an approximation
// (their own tokenizers count differently; exact billing uses the usage the upstream reports).
//
// Speed: ~0.05–0.1 ms per KB of text (see bpe.ts for why we do not call js-tiktoken's encode). Past
// FAST_ESTIMATE_BYTES of text in one call we stop tokenizing and count one token per UTF-8 byte, which is a proven
// upper bound for byte-level BPE (every token covers at least one byte), so reservations can never come out short.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChatMessage, ContentPart, FunctionTool, ImagePart } from '../providers/types.js';
import { createBpeCounter, type BpeCounter, type RankTable } from './bpe.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** Text beyond this many UTF-8 bytes in one count is estimated (1 token per byte) instead of tokenized. */
export const FAST_ESTIMATE_BYTES = 200 * 1024;

const O200K_MODELS = /^(?:chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o1|o3|o4)(?:[-.:@_]|$)/;

export function encodingFor(model: string): EncodingName {
  // "openai/gpt-4o" (OpenRouter-style ids) counts like "gpt-4o".
  const bare = model.toLowerCase().slice(model.lastIndexOf('/') + 1);
  return O200K_MODELS.test(bare) ? 'o200k_base' : 'cl100k_base';
}

const counters = new Map<EncodingName, BpeCounter>();
const requireRanks = createRequire(import.meta.url);

/** Loads the rank table once (o200k takes ~0.5 s); later calls are free. Call at startup to keep it off a request. */
export function loadEncoding(name: EncodingName): BpeCounter {
  let counter = counters.get(name);
  if (!counter) {
    const id = `js-tiktoken/ranks/${name}`;
    // The file is `module.exports = {…}` with a JSON object: read as data rather than required, so that neither the
    // module's megabytes of source nor its exports stay reachable (a required module stays in its parent's children).
    const text = readFileSync(requireRanks.resolve(id), 'utf8');
    let table: unknown;
    try {
      table = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
    } catch {
      table = undefined;
    }
    if (!isRankTable(table)) throw new Error(`${id} has an unexpected shape`);
    counter = createBpeCounter(table);
    counters.set(name, counter);
  }
  return counter;
}

function isRankTable(value: unknown): value is RankTable {
  const t = value as Partial<RankTable> | null;
  return typeof t?.pat_str === 'string' && typeof t.bpe_ranks === 'string';
}

/** Counts text under one byte budget: exact until the budget runs out, then one token per byte. */
class BudgetedCounter {
  private remaining = FAST_ESTIMATE_BYTES;
  estimated = false;
  constructor(private readonly bpe: BpeCounter) {}

  count(text: string | undefined | null): number {
    if (!text) return 0;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.remaining) {
      this.remaining = 0;
      this.estimated = true;
      return bytes;
    }
    this.remaining -= bytes;
    return this.bpe.count(text);
  }
}

/**
 * Counts every text as its UTF-8 byte length: an upper bound of its token count under any byte-level BPE (every token
 * covers at least one byte), with no tokenizer at all (its tables need not even be loaded).
 */
class ByteCounter {
  readonly estimated = true;
  count(text: string | undefined | null): number {
    return text ? Buffer.byteLength(text, 'utf8') : 0;
  }
}

export function countText(text: string, model: string): number {
  return new BudgetedCounter(loadEncoding(encodingFor(model))).count(text);
}

export interface PromptCount {
  /** Prompt tokens without images and attachments. */
  tokens: number;
  /** Image parts found in the messages, in order, for vision.ts to price. */
  images: ImagePart[];
  /** Every other part that is not text (files, audio, video, unknown types), for attachments.ts to bound. */
  attachments: ContentPart[];
  /** True when part of the prompt was past FAST_ESTIMATE_BYTES and counted as bytes (an upper bound). */
  estimated: boolean;
}

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;
/** Not documented by OpenAI: a small per-call allowance for the wrapper around a tool call's name and arguments. */
const TOKENS_PER_TOOL_CALL = 3;

/**
 * `bytes`: count each text as its UTF-8 bytes instead of tokenizing it. Same rules and constants, each text's count
 * replaced by one at least as large: an upper bound of the exact count, at a fraction of its cost.
 */
export function countChatPrompt(messages: ChatMessage[], model: string, tools?: FunctionTool[], opts: { bytes?: boolean } = {}): PromptCount {
  const encoding = encodingFor(model);
  const counter = opts.bytes ? new ByteCounter() : new BudgetedCounter(loadEncoding(encoding));
  const images: ImagePart[] = [];
  const attachments: ContentPart[] = [];
  let tokens = REPLY_PRIMING;
  for (const message of messages) {
    tokens += TOKENS_PER_MESSAGE + counter.count(message.role);
    if (typeof message.content === 'string') {
      tokens += counter.count(message.content);
    } else if (Array.isArray(message.content)) {
      for (const part of message.content as Array<ContentPart & { refusal?: unknown }>) {
        if (isImagePart(part)) images.push(part);
        else if (typeof part.text === 'string') tokens += counter.count(part.text);
        else if (typeof part.refusal === 'string') tokens += counter.count(part.refusal);
        else attachments.push(part);
      }
    }
    // Reasoning sent back (DeepSeek-style histories) is input like any other text.
    if (typeof message.reasoning_content === 'string') tokens += counter.count(message.reasoning_content);
    if (typeof message.name === 'string' && message.name) tokens += counter.count(message.name) + TOKENS_PER_NAME;
    for (const call of message.tool_calls ?? []) {
      tokens += TOKENS_PER_TOOL_CALL + counter.count(call.function?.name) + counter.count(call.function?.arguments);
    }
  }
  if (tools && tools.length > 0) tokens += countTools(tools, encoding, counter);
  return { tokens, images, attachments, estimated: counter.estimated };
}

function isImagePart(part: { type: string }): part is ImagePart {
  const url = (part as Partial<ImagePart>).image_url?.url;
  return part.type === 'image_url' && typeof url === 'string';
}

/**
 * The cookbook's function-definition formula: per function a fixed start, "name:description"; per property
 * "name:type:description" plus enum items; a fixed end for the whole list. Nested schemas (objects, arrays) are not
 * in the cookbook; we count their JSON text so that big schemas are not free.
 */
function countTools(tools: FunctionTool[], encoding: EncodingName, counter: BudgetedCounter | ByteCounter): number {
  const functionStart = encoding === 'o200k_base' ? 7 : 10;
  const [propertiesStart, propertyKey, enumStart, enumItem, listEnd] = [3, 3, -3, 3, 12];
  let tokens = 0;
  for (const tool of tools) {
    const fn = tool.function;
    if (!fn) continue;
    tokens += functionStart + counter.count(`${fn.name}:${stripPeriod(fn.description ?? '')}`);
    const properties = asRecord(fn.parameters?.properties);
    const entries = Object.entries(properties ?? {});
    if (entries.length > 0) tokens += propertiesStart;
    for (const [key, value] of entries) {
      const schema = asRecord(value) ?? {};
      tokens += propertyKey;
      const type = typeof schema.type === 'string' ? schema.type : JSON.stringify(schema.type ?? '');
      const description = typeof schema.description === 'string' ? schema.description : '';
      tokens += counter.count(`${key}:${type}:${stripPeriod(description)}`);
      if (Array.isArray(schema.enum)) {
        tokens += enumStart;
        for (const item of schema.enum) tokens += enumItem + counter.count(String(item));
      }
      for (const nested of ['properties', 'items', 'anyOf', 'oneOf', 'allOf'] as const) {
        if (schema[nested] !== undefined) tokens += counter.count(JSON.stringify(schema[nested]));
      }
    }
  }
  return tokens + listEnd;
}

function stripPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
