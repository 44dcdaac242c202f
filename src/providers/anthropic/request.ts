// Canonical ChatRequest → Anthropic Messages request body.
import { RelayError } from '../../errors.js';
import type { ChatRequest, UpstreamTarget } from '../types.js';
import { convertMessages } from './messages.js';
import type { AnthropicRequest, AnthropicTool, AnthropicToolChoice } from './wire.js';

/** Anthropic requires max_tokens; used when neither the client nor the channel config gives one. */
export const DEFAULT_MAX_TOKENS = 4096;

function invalid(param: string, message: string): RelayError {
  return new RelayError('invalid_request', `${param}: ${message}`, 400, { param });
}

export function toAnthropicRequest(req: ChatRequest, target: UpstreamTarget): AnthropicRequest {
  if (typeof req.n === 'number' && req.n > 1) throw invalid('n', 'Anthropic channels return one choice; n must be 1');

  const { system, messages } = convertMessages(req.messages);
  const body: AnthropicRequest = { model: target.model, max_tokens: maxTokensOf(req, target), messages };
  if (system !== undefined) body.system = system;
  if (req.stream) body.stream = true;

  const stop = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (Array.isArray(stop) && stop.length > 0) body.stop_sequences = stop;
  if (typeof req.temperature === 'number') body.temperature = req.temperature;
  if (typeof req.top_p === 'number') body.top_p = req.top_p;
  if (typeof req.user === 'string' && req.user !== '') body.metadata = { user_id: req.user };

  if (req.tools && req.tools.length > 0) body.tools = toolsOf(req.tools);
  const toolChoice = toolChoiceOf(req.tool_choice, req.parallel_tool_calls === false);
  if (toolChoice) body.tool_choice = toolChoice;

  // Extended thinking has no OpenAI equivalent; a client that knows it sends Anthropic's own object.
  if (req.thinking !== undefined) body.thinking = req.thinking;
  return body;
}

function maxTokensOf(req: ChatRequest, target: UpstreamTarget): number {
  const asked = req.max_completion_tokens ?? req.max_tokens;
  if (typeof asked === 'number') return asked;
  const configured = target.config.defaultMaxTokens;
  return typeof configured === 'number' && Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_TOKENS;
}

function toolsOf(tools: NonNullable<ChatRequest['tools']>): AnthropicTool[] {
  return tools.map((tool, i) => {
    if (tool.type !== 'function' || typeof tool.function?.name !== 'string') {
      throw invalid(`tools.${i}`, 'only function tools with a name are supported by Anthropic channels');
    }
    const out: AnthropicTool = {
      name: tool.function.name,
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    };
    if (tool.function.description !== undefined) out.description = tool.function.description;
    return out;
  });
}

function toolChoiceOf(choice: ChatRequest['tool_choice'], serialOnly: boolean): AnthropicToolChoice | undefined {
  const serial = serialOnly ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) return serialOnly ? { type: 'auto', ...serial } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...serial };
  if (choice === 'required') return { type: 'any', ...serial };
  if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') {
    return { type: 'tool', name: choice.function.name, ...serial };
  }
  throw invalid('tool_choice', 'must be "none", "auto", "required" or {type:"function", function:{name}}');
}
