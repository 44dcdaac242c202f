// POST /v1/messages body → canonical ChatRequest. Validates what the translation relies on and answers a clear 400
// naming the field otherwise; fields the canonical format cannot carry (top_k, service_tier, ...) are dropped.
import type { ChatMessage, ChatRequest, FunctionTool } from '../../../providers/types.js';
import { RelayError } from '../../../errors.js';
import { isRecord } from '../../../providers/json.js';
import { toCanonicalMessages } from './messages.js';
import {
  invalid,
  optionalBoolean,
  optionalNumber,
  optionalString,
  requireArray,
  requireBlock,
  requireNonEmptyString,
  requireRecord,
  requireString,
} from './validate.js';

export function toChatRequest(body: unknown, from: { model?: string; stream?: boolean }): ChatRequest {
  if (!isRecord(body)) throw new RelayError('invalid_request', 'the request body must be a JSON object', 400);

  const model = requireNonEmptyString(body.model ?? from.model, 'model');
  const maxTokens = body.max_tokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw invalid('max_tokens', 'must be a positive integer');
  }

  const system = systemMessageOf(body.system);
  const messages = toCanonicalMessages(body.messages);
  const req: ChatRequest = { model, messages: system ? [system, ...messages] : messages, max_tokens: maxTokens };

  const temperature = optionalNumber(body.temperature, 'temperature');
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(body.top_p, 'top_p');
  if (topP !== undefined) req.top_p = topP;
  optionalNumber(body.top_k, 'top_k'); // validated, then dropped: OpenAI has no top_k

  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    req.stop = requireArray(body.stop_sequences, 'stop_sequences').map((s, i) => requireString(s, `stop_sequences.${i}`));
  }

  if (body.metadata !== undefined && body.metadata !== null) {
    const userId = optionalString(requireRecord(body.metadata, 'metadata').user_id, 'metadata.user_id');
    if (userId) req.user = userId;
  }

  if (body.tools !== undefined && body.tools !== null) {
    const tools = requireArray(body.tools, 'tools').map(toolOf);
    if (tools.length > 0) req.tools = tools;
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null) Object.assign(req, toolChoiceOf(body.tool_choice));

  if (body.thinking !== undefined && body.thinking !== null) {
    const thinking = requireRecord(body.thinking, 'thinking');
    requireString(thinking.type, 'thinking.type');
    req.thinking = thinking; // an Anthropic channel sends it on; others ignore it
  }

  if (optionalBoolean(body.stream, 'stream') ?? from.stream) {
    req.stream = true;
    req.stream_options = { include_usage: true };
  }
  return req;
}

/** `system`: a string or text blocks; several blocks become one string, paragraphs apart. */
function systemMessageOf(value: unknown): ChatMessage | undefined {
  if (value === undefined || value === null) return undefined;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (Array.isArray(value)) {
    text = value
      .map((raw, i) => {
        const block = requireBlock(raw, `system.${i}`);
        if (block.type !== 'text') throw invalid(`system.${i}.type`, 'system blocks must be text blocks');
        return requireString(block.text, `system.${i}.text`);
      })
      .join('\n\n');
  } else throw invalid('system', 'must be a string or an array of text blocks');
  return text === '' ? undefined : { role: 'system', content: text };
}

function toolOf(raw: unknown, i: number): FunctionTool {
  const tool = requireRecord(raw, `tools.${i}`);
  // Server tools (web_search_..., bash_..., text_editor_...) run inside Anthropic; only client tools translate.
  if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
    throw invalid(`tools.${i}.type`, `server tool "${String(tool.type)}" is not supported on this route`);
  }
  const fn: FunctionTool['function'] = {
    name: requireNonEmptyString(tool.name, `tools.${i}.name`),
    parameters: requireRecord(tool.input_schema, `tools.${i}.input_schema`),
  };
  const description = optionalString(tool.description, `tools.${i}.description`);
  if (description !== undefined) fn.description = description;
  return { type: 'function', function: fn };
}

function toolChoiceOf(raw: unknown): { tool_choice: NonNullable<ChatRequest['tool_choice']>; parallel_tool_calls?: false } {
  const choice = requireRecord(raw, 'tool_choice');
  const serialOnly = optionalBoolean(choice.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use');
  const parallel = serialOnly ? { parallel_tool_calls: false as const } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      return {
        tool_choice: { type: 'function', function: { name: requireNonEmptyString(choice.name, 'tool_choice.name') } },
        ...parallel,
      };
    default:
      throw invalid('tool_choice.type', 'must be "auto", "any", "tool" or "none"');
  }
}
