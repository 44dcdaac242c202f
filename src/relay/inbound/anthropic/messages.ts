// Anthropic `messages` → canonical chat messages.
// A user turn may hold tool_result blocks next to ordinary content: each tool_result becomes its own `tool` message
// (placed first, as Anthropic requires them to lead the turn), the rest stays one user message. An assistant turn's
// tool_use blocks become tool_calls, its thinking blocks reasoning_content.
import type { ChatMessage, ContentPart, ToolCall } from '../../../providers/types.js';
import type { JsonObject } from '../../../providers/json.js';
import { invalid, requireArray, requireBlock, requireNonEmptyString, requireRecord, requireString } from './validate.js';

export function toCanonicalMessages(value: unknown): ChatMessage[] {
  const messages = requireArray(value, 'messages');
  if (messages.length === 0) throw invalid('messages', 'must contain at least one message');
  return messages.flatMap((raw, i) => {
    const message = requireRecord(raw, `messages.${i}`);
    if (message.role === 'user') return userMessages(message.content, `messages.${i}.content`);
    if (message.role === 'assistant') return [assistantMessage(message.content, `messages.${i}.content`)];
    throw invalid(`messages.${i}.role`, 'must be "user" or "assistant"');
  });
}

function blocksOf(content: unknown, param: string): Array<JsonObject & { type: string }> | string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(param, 'must be a string or an array of content blocks');
  return content.map((block, j) => requireBlock(block, `${param}.${j}`));
}

function userMessages(content: unknown, param: string): ChatMessage[] {
  const blocks = blocksOf(content, param);
  if (typeof blocks === 'string') return [{ role: 'user', content: blocks }];
  const toolMessages: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  blocks.forEach((block, j) => {
    const at = `${param}.${j}`;
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: requireString(block.text, `${at}.text`) });
        break;
      case 'image':
        parts.push({ type: 'image_url', image_url: { url: imageUrlOf(block.source, `${at}.source`) } });
        break;
      case 'document':
        parts.push(documentPartOf(block.source, `${at}.source`));
        break;
      case 'tool_result':
        toolMessages.push(toolMessageOf(block, at));
        break;
      case 'tool_use':
      case 'thinking':
      case 'redacted_thinking':
        throw invalid(`${at}.type`, `"${block.type}" blocks belong in assistant messages`);
      default:
        throw invalid(`${at}.type`, `unsupported content block type "${block.type}"`);
    }
  });
  if (parts.length === 0) return toolMessages;
  const only = parts.length === 1 ? parts[0] : undefined;
  const userContent = only?.type === 'text' && typeof only.text === 'string' ? only.text : parts;
  return [...toolMessages, { role: 'user', content: userContent }];
}

function assistantMessage(content: unknown, param: string): ChatMessage {
  const blocks = blocksOf(content, param);
  if (typeof blocks === 'string') return { role: 'assistant', content: blocks };
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  blocks.forEach((block, j) => {
    const at = `${param}.${j}`;
    switch (block.type) {
      case 'text':
        text += requireString(block.text, `${at}.text`);
        break;
      case 'thinking':
        reasoning += requireString(block.thinking, `${at}.thinking`);
        break;
      case 'redacted_thinking':
        break; // encrypted; nothing a non-Anthropic upstream can use
      case 'tool_use': {
        const input = requireRecord(block.input, `${at}.input`);
        toolCalls.push({
          id: requireNonEmptyString(block.id, `${at}.id`),
          type: 'function',
          function: { name: requireNonEmptyString(block.name, `${at}.name`), arguments: JSON.stringify(input) },
        });
        break;
      }
      case 'image':
      case 'document':
      case 'tool_result':
        throw invalid(`${at}.type`, `"${block.type}" blocks belong in user messages`);
      default:
        throw invalid(`${at}.type`, `unsupported content block type "${block.type}"`);
    }
  });
  const message: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== '') message.reasoning_content = reasoning;
  return message;
}

function imageUrlOf(value: unknown, param: string): string {
  const source = requireRecord(value, param);
  if (source.type === 'base64') {
    const mediaType = requireString(source.media_type, `${param}.media_type`);
    if (!mediaType.startsWith('image/')) throw invalid(`${param}.media_type`, 'must be an image media type');
    return `data:${mediaType};base64,${requireString(source.data, `${param}.data`)}`;
  }
  if (source.type === 'url') {
    const url = requireString(source.url, `${param}.url`);
    if (!/^https?:\/\//i.test(url)) throw invalid(`${param}.url`, 'must be an http(s) URL');
    return url;
  }
  throw invalid(`${param}.type`, 'must be "base64" or "url" (uploaded files are not supported on this route)');
}

/**
 * A document block: plain text becomes text; a PDF (base64 or URL) becomes OpenAI's `file` part, which an Anthropic
 * channel turns back into the same document and an OpenAI or Gemini channel reads as a file. Either way it is counted
 * (bounded) before the call is reserved.
 */
function documentPartOf(value: unknown, param: string): ContentPart {
  const source = requireRecord(value, param);
  switch (source.type) {
    case 'text':
      return { type: 'text', text: requireString(source.data, `${param}.data`) };
    case 'base64': {
      const mediaType = requireString(source.media_type, `${param}.media_type`);
      if (mediaType !== 'application/pdf') throw invalid(`${param}.media_type`, 'base64 documents must be "application/pdf"');
      return { type: 'file', file: { filename: 'document.pdf', file_data: `data:application/pdf;base64,${requireString(source.data, `${param}.data`)}` } };
    }
    case 'url': {
      const url = requireString(source.url, `${param}.url`);
      if (!/^https?:\/\//i.test(url)) throw invalid(`${param}.url`, 'must be an http(s) URL');
      return { type: 'file', file: { file_url: url, mime_type: 'application/pdf' } };
    }
    default:
      throw invalid(`${param}.type`, 'must be "text", "base64" (a PDF) or "url" (uploaded files are not supported on this route)');
  }
}

function toolMessageOf(block: JsonObject, param: string): ChatMessage {
  return {
    role: 'tool',
    tool_call_id: requireNonEmptyString(block.tool_use_id, `${param}.tool_use_id`),
    content: toolResultTextOf(block.content, `${param}.content`),
  };
}

/** Tool messages carry text; many OpenAI-compatible upstreams accept only a string there, so text blocks are joined. */
function toolResultTextOf(content: unknown, param: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(param, 'must be a string or an array of text blocks');
  return content
    .map((raw, k) => {
      const block = requireBlock(raw, `${param}.${k}`);
      if (block.type !== 'text') {
        throw invalid(`${param}.${k}.type`, `"${block.type}" blocks inside tool_result are not supported on this route (text only)`);
      }
      return requireString(block.text, `${param}.${k}.text`);
    })
    .join('\n');
}
