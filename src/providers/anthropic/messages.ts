// Canonical chat messages → Anthropic's `system` + alternating user/assistant messages.
// Anthropic has no system or tool roles: system/developer text is hoisted to the top-level `system`, tool results
// become `tool_result` blocks in a user turn, and consecutive turns of the same role are merged into one.
import { RelayError } from '../../errors.js';
import type { ChatMessage } from '../types.js';
import { isRecord, type JsonObject } from '../json.js';
import type {
  AnthropicDocumentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from './wire.js';

export interface ConvertedMessages {
  system?: string | AnthropicTextBlock[];
  messages: AnthropicMessageParam[];
}

function invalid(param: string, message: string): RelayError {
  return new RelayError('invalid_request', `${param}: ${message}`, 400, { param });
}

export function convertMessages(messages: ChatMessage[]): ConvertedMessages {
  const system: AnthropicTextBlock[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; blocks: AnthropicRequestBlock[] }> = [];
  const append = (role: 'user' | 'assistant', blocks: AnthropicRequestBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };

  messages.forEach((message, i) => {
    const role: string = message.role;
    switch (role) {
      case 'system':
      case 'developer':
        system.push(...textBlocksOf(message.content, `messages.${i}.content`));
        break;
      case 'user':
        append('user', userBlocksOf(message.content, `messages.${i}.content`));
        break;
      case 'assistant':
        append('assistant', assistantBlocksOf(message, i));
        break;
      case 'tool':
        append('user', [toolResultOf(message, i)]);
        break;
      default:
        throw invalid(`messages.${i}.role`, `role "${role}" is not supported by Anthropic channels`);
    }
  });

  const result: ConvertedMessages = { messages: turns.map((t) => ({ role: t.role, content: collapse(t.blocks) })) };
  if (system.length > 0) result.system = system.length === 1 && isPlainText(system[0]) ? system[0]!.text : system;
  return result;
}

/** A turn that is just one plain text block is sent as a string (the shape most examples and clients use). */
function collapse(blocks: AnthropicRequestBlock[]): string | AnthropicRequestBlock[] {
  const only = blocks.length === 1 ? blocks[0] : undefined;
  return only && isPlainText(only) ? only.text : blocks;
}

function isPlainText(block: AnthropicRequestBlock | undefined): block is AnthropicTextBlock {
  return block?.type === 'text' && block.cache_control === undefined;
}

/** Content parts as plain objects (extra keys such as cache_control are read where Anthropic has them). */
function partsOf(content: unknown, param: string): JsonObject[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(param, 'must be a string, an array of content parts, or null');
  return content.map((part: unknown, j) => {
    if (!isRecord(part) || typeof part.type !== 'string') throw invalid(`${param}.${j}`, 'must be a content part with a type');
    return part;
  });
}

function textBlockOf(part: JsonObject, param: string): AnthropicTextBlock | undefined {
  if (typeof part.text !== 'string') throw invalid(`${param}.text`, 'must be a string');
  // Anthropic rejects empty text blocks; an empty part carries nothing anyway.
  if (part.text === '') return undefined;
  const block: AnthropicTextBlock = { type: 'text', text: part.text };
  if (part.cache_control !== undefined) block.cache_control = part.cache_control;
  return block;
}

function textBlocksOf(content: ChatMessage['content'], param: string): AnthropicTextBlock[] {
  const blocks: AnthropicTextBlock[] = [];
  partsOf(content, param).forEach((part, j) => {
    if (part.type !== 'text') throw invalid(`${param}.${j}.type`, `"${String(part.type)}" parts are not allowed here (text only)`);
    const block = textBlockOf(part, `${param}.${j}`);
    if (block) blocks.push(block);
  });
  return blocks;
}

function userBlocksOf(content: ChatMessage['content'], param: string): Array<AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock> {
  const blocks: Array<AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock> = [];
  partsOf(content, param).forEach((part, j) => {
    if (part.type === 'text') {
      const block = textBlockOf(part, `${param}.${j}`);
      if (block) blocks.push(block);
    } else if (part.type === 'image_url') {
      blocks.push(imageBlockOf(part, `${param}.${j}`));
    } else if (part.type === 'file') {
      blocks.push(documentBlockOf(part, `${param}.${j}`));
    } else {
      throw invalid(`${param}.${j}.type`, `"${String(part.type)}" parts are not supported by Anthropic channels`);
    }
  });
  return blocks;
}

function imageBlockOf(part: JsonObject, param: string): AnthropicImageBlock {
  const url = isRecord(part.image_url) ? part.image_url.url : undefined;
  if (typeof url !== 'string') throw invalid(`${param}.image_url.url`, 'must be a string');
  const block: AnthropicImageBlock = { type: 'image', source: imageSourceOf(url, `${param}.image_url.url`) };
  if (part.cache_control !== undefined) block.cache_control = part.cache_control;
  return block;
}

/** OpenAI's `file` part with a PDF (file_data as a data: URI, or the file_url an Anthropic client sent) → a document. */
function documentBlockOf(part: JsonObject, param: string): AnthropicDocumentBlock {
  const file = isRecord(part.file) ? part.file : {};
  let source: AnthropicDocumentBlock['source'] | undefined;
  if (typeof file.file_data === 'string') {
    const match = DATA_URI.exec(file.file_data);
    if (match && match[1]!.toLowerCase() === 'application/pdf' && match[2]!.toLowerCase().includes('base64')) {
      source = { type: 'base64', media_type: 'application/pdf', data: match[3]! };
    }
  } else if (typeof file.file_url === 'string' && /^https?:\/\//i.test(file.file_url)) {
    source = { type: 'url', url: file.file_url };
  }
  if (!source) throw invalid(`${param}.file`, 'Anthropic channels take files as PDFs: file_data as a data:application/pdf;base64 URI');
  const block: AnthropicDocumentBlock = { type: 'document', source };
  if (part.cache_control !== undefined) block.cache_control = part.cache_control;
  return block;
}

const DATA_URI = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

function imageSourceOf(url: string, param: string): AnthropicImageBlock['source'] {
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  const match = DATA_URI.exec(url);
  if (!match) throw new RelayError('unsupported_image', `${param}: only http(s) and data: image URLs are supported`, 400, { param });
  const mediaType = match[1]!.toLowerCase();
  if (!mediaType.startsWith('image/')) {
    throw new RelayError('unsupported_image', `${param}: "${mediaType || 'text/plain'}" is not an image type`, 400, { param });
  }
  const isBase64 = match[2]!.toLowerCase().split(';').includes('base64');
  return { type: 'base64', media_type: mediaType, data: isBase64 ? match[3]! : percentDecodedBase64(match[3]!, param) };
}

/** A data: URI without ;base64 is percent-encoded text (SVG, typically); Anthropic wants base64. */
function percentDecodedBase64(encoded: string, param: string): string {
  try {
    return Buffer.from(decodeURIComponent(encoded), 'utf8').toString('base64');
  } catch {
    throw new RelayError('unsupported_image', `${param}: the data: URI is not valid percent-encoding`, 400, { param });
  }
}

function assistantBlocksOf(message: ChatMessage, i: number): AnthropicRequestBlock[] {
  // reasoning_content is not sent back: Anthropic only accepts thinking blocks with their signature, which the
  // canonical format does not keep.
  const blocks: AnthropicRequestBlock[] = textBlocksOf(message.content, `messages.${i}.content`);
  (message.tool_calls ?? []).forEach((call, j) => blocks.push(toolUseOf(call, `messages.${i}.tool_calls.${j}`)));
  return blocks;
}

function toolUseOf(call: unknown, param: string): AnthropicToolUseBlock {
  const fn = isRecord(call) && isRecord(call.function) ? call.function : undefined;
  if (!isRecord(call) || typeof call.id !== 'string' || !fn || typeof fn.name !== 'string') {
    throw invalid(param, 'a tool call needs an id and a function name');
  }
  return { type: 'tool_use', id: call.id, name: fn.name, input: toolInputOf(fn.arguments, `${param}.function.arguments`) };
}

function toolInputOf(args: unknown, param: string): Record<string, unknown> {
  if (args === undefined || (typeof args === 'string' && args.trim() === '')) return {};
  if (typeof args !== 'string') throw invalid(param, 'must be a JSON string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalid(param, 'is not valid JSON');
  }
  if (!isRecord(parsed)) throw invalid(param, 'must encode a JSON object');
  return parsed;
}

function toolResultOf(message: ChatMessage, i: number): AnthropicToolResultBlock {
  if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') {
    throw invalid(`messages.${i}.tool_call_id`, 'a tool message needs the tool_call_id it answers');
  }
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: message.tool_call_id };
  if (typeof message.content === 'string') block.content = message.content;
  else if (message.content !== null && message.content !== undefined) {
    block.content = userBlocksOf(message.content, `messages.${i}.content`);
  }
  return block;
}
