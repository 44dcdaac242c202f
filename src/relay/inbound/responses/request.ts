// A Responses API request (POST /v1/responses) → the canonical chat request, for channels that do not speak the
// Responses API (everything but OpenAI and Azure), and for counting the prompt of every call. Checks each field the
// translation reads, so a bad body is a 400 naming the field.
//
//   instructions                       → a system message first
//   input: "text"                      → one user message
//   message items (type "message", or role + content)     → messages; input_text / output_text → text parts,
//                                         input_image → image_url, input_file → file, input_audio → input_audio
//   function_call / function_call_output                → assistant tool_calls / tool messages
//   custom_tool_call / custom_tool_call_output (Codex's freeform tools) → a function call whose one argument is `input`
//   reasoning items (e.g. Codex's encrypted_content)    → left out: only the upstream that made them can read them
//   function / custom tools, tool_choice, text.format, reasoning.effort, max_output_tokens, temperature, top_p,
//   parallel_tool_calls, user         → their chat counterparts
//
// What only OpenAI itself can serve (stored items: item_reference; tools that run on OpenAI's servers; file ids) does not
// make the request invalid: it is `untranslatable`, so a channel that would have to translate it refuses it and an
// OpenAI or Azure channel serves it as is.
import type { ChatMessage, ChatRequest, ContentPart, FunctionTool, ToolCall } from '../../../providers/types.js';
import { isRecord, type JsonObject } from '../../../providers/json.js';
import { RelayError } from '../../../errors.js';
import { invalid, optionalBoolean, optionalNumber, optionalString, requireArray, requireNonEmptyString, requireRecord, requireString } from '../anthropic/validate.js';

export interface ResponsesRequest {
  chat: ChatRequest;
  /** Why only a native (OpenAI, Azure) channel can serve it; undefined when any channel can. */
  untranslatable: string | undefined;
  /** Freeform ("custom") tools, by name: their calls go back to the client as custom_tool_call items. */
  customTools: ReadonlySet<string>;
  /** Input the canonical request leaves out but an OpenAI upstream bills (reasoning items passed back), counted from above. */
  unseenPromptTokens: number;
  /**
   * The upstream brings in input the relay never sees, bounded only by the context window: the stored conversation
   * (previous_response_id, conversation, a stored prompt) or what its own tools fetch (web and file search, MCP).
   */
  unseenContext: boolean;
  previousResponseId: string | undefined;
}

/** Tools OpenAI runs on its own servers: a translated call goes without them (the model answers from what it knows). */
const DROPPABLE_TOOLS = new Set(['web_search', 'web_search_preview', 'web_search_preview_2025_03_11', 'web_search_2025_08_26']);

/** Tools with which the upstream reads input the relay never sees (besides web search). */
const FETCHING_TOOLS = new Set(['file_search', 'mcp']);

/** Encrypted reasoning is base64 of at least a byte per token: one token per 3 characters bounds it from above. */
const ENCRYPTED_CHARS_PER_TOKEN = 3;

export function toResponsesRequest(body: unknown): ResponsesRequest {
  if (!isRecord(body)) throw new RelayError('invalid_request', 'the request body must be a JSON object', 400);
  const model = requireNonEmptyString(body.model, 'model');
  if (model.length > 256) throw invalid('model', 'must be at most 256 characters');
  const stream = optionalBoolean(body.stream, 'stream');
  optionalBoolean(body.store, 'store');
  if (optionalBoolean(body.background, 'background')) {
    throw invalid('background', 'background responses are not supported by this relay (their usage could not be billed); send the request without background');
  }
  const previousResponseId = optionalString(body.previous_response_id, 'previous_response_id');
  if (previousResponseId === '') throw invalid('previous_response_id', 'must be a non-empty string');
  const state = new Translation();

  const messages: ChatMessage[] = [];
  const instructions = optionalString(body.instructions, 'instructions');
  if (instructions) messages.push({ role: 'system', content: instructions });
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
  else if (Array.isArray(body.input)) {
    body.input.forEach((item, i) => state.item(item, `input.${i}`, messages));
  } else if (body.input !== undefined && body.input !== null) {
    throw invalid('input', 'must be a string or an array of input items');
  } else if (previousResponseId === undefined && body.conversation === undefined && body.prompt === undefined) {
    throw invalid('input', 'is required (a string or an array of input items)');
  }
  if (body.conversation !== undefined && body.conversation !== null) state.untranslatable('conversation', 'a conversation is stored by OpenAI');
  if (body.prompt !== undefined && body.prompt !== null) state.untranslatable('prompt', 'prompt templates are stored by OpenAI');

  const chat: ChatRequest = { model, messages };
  if (stream !== undefined) chat.stream = stream;
  const maxOutput = body.max_output_tokens;
  if (maxOutput !== undefined && maxOutput !== null) {
    if (typeof maxOutput !== 'number' || !Number.isSafeInteger(maxOutput) || maxOutput < 1) throw invalid('max_output_tokens', 'must be a positive integer');
    chat.max_tokens = maxOutput;
  }
  const temperature = optionalNumber(body.temperature, 'temperature');
  if (temperature !== undefined) chat.temperature = temperature;
  const topP = optionalNumber(body.top_p, 'top_p');
  if (topP !== undefined) chat.top_p = topP;
  const parallel = optionalBoolean(body.parallel_tool_calls, 'parallel_tool_calls');
  const user = optionalString(body.user, 'user');
  if (user) chat.user = user;

  if (body.tools !== undefined && body.tools !== null) {
    const tools = requireArray(body.tools, 'tools').flatMap((tool, i) => state.tool(tool, `tools.${i}`));
    if (tools.length > 0) {
      chat.tools = tools;
      if (parallel !== undefined) chat.parallel_tool_calls = parallel;
    }
  }
  const choice = toolChoiceOf(body.tool_choice);
  if (choice !== undefined && chat.tools) chat.tool_choice = choice;

  if (body.text !== undefined && body.text !== null) {
    const format = requireRecord(body.text, 'text').format;
    if (format !== undefined && format !== null) {
      const responseFormat = responseFormatOf(requireRecord(format, 'text.format'));
      if (responseFormat) chat.response_format = responseFormat;
    }
  }
  if (body.reasoning !== undefined && body.reasoning !== null) {
    const effort = optionalString(requireRecord(body.reasoning, 'reasoning').effort, 'reasoning.effort');
    if (effort) chat.reasoning_effort = effort;
  }

  return {
    chat,
    untranslatable: state.reason,
    customTools: state.customTools,
    unseenPromptTokens: state.unseenPromptTokens,
    unseenContext: state.fetches || previousResponseId !== undefined || (body.conversation ?? null) !== null || (body.prompt ?? null) !== null,
    previousResponseId,
  };
}

/** What one translation collects beside the messages. */
class Translation {
  reason: string | undefined;
  readonly customTools = new Set<string>();
  unseenPromptTokens = 0;
  fetches = false;

  untranslatable(param: string, why: string): void {
    this.reason ??= `${param}: ${why}, so only an OpenAI or Azure channel can serve this request, and none could; send the content itself instead`;
  }

  item(raw: unknown, param: string, messages: ChatMessage[]): void {
    const item = requireRecord(raw, param);
    const type = item.type === undefined || item.type === null ? 'message' : item.type;
    if (typeof type !== 'string') throw invalid(`${param}.type`, 'must be a string');
    switch (type) {
      case 'message':
        messages.push(messageOf(item, param, this));
        return;
      case 'function_call':
      case 'custom_tool_call': {
        const callId = requireNonEmptyString(item.call_id, `${param}.call_id`);
        const name = requireNonEmptyString(item.name, `${param}.name`);
        const args = type === 'function_call' ? requireString(item.arguments, `${param}.arguments`) : JSON.stringify({ input: requireString(item.input, `${param}.input`) });
        const call: ToolCall = { id: callId, type: 'function', function: { name, arguments: args } };
        // Parallel calls are consecutive items; the canonical form keeps them on one assistant message.
        // Parallel calls are consecutive items, and an assistant message before them is the same turn: the canonical
        // form keeps all of it on one assistant message.
        const last = messages.at(-1);
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = requireNonEmptyString(item.call_id, `${param}.call_id`);
        const output = item.output;
        const content = typeof output === 'string' ? output : Array.isArray(output) ? partsOf(output, `${param}.output`, this) : undefined;
        if (content === undefined) throw invalid(`${param}.output`, 'must be a string or an array of content parts');
        messages.push({ role: 'tool', tool_call_id: callId, content });
        return;
      }
      case 'reasoning': {
        // Opaque to every other provider; an OpenAI upstream reads (and bills) it as input.
        if (typeof item.encrypted_content === 'string') this.unseenPromptTokens += Math.ceil(item.encrypted_content.length / ENCRYPTED_CHARS_PER_TOKEN);
        if (Array.isArray(item.summary)) {
          for (const part of item.summary) if (isRecord(part) && typeof part.text === 'string') this.unseenPromptTokens += part.text.length;
        }
        return;
      }
      case 'item_reference':
        requireNonEmptyString(item.id, `${param}.id`);
        this.untranslatable(param, 'item_reference names an item stored by OpenAI');
        return;
      default:
        // Calls of OpenAI's own tools and their outputs (web_search_call, local_shell_call, …).
        this.untranslatable(`${param}.type`, `"${type}" items are OpenAI's own`);
    }
  }

  tool(raw: unknown, param: string): FunctionTool[] {
    const tool = requireRecord(raw, param);
    const type = requireString(tool.type, `${param}.type`);
    if (type === 'function' || type === 'custom') {
      const name = requireNonEmptyString(tool.name, `${param}.name`);
      const description = optionalString(tool.description, `${param}.description`);
      if (type === 'custom') {
        // A freeform tool takes raw text (Codex's apply_patch): as a function, one string argument carries it.
        this.customTools.add(name);
        const parameters = { type: 'object', properties: { input: { type: 'string', description: 'the raw input for the tool' } }, required: ['input'], additionalProperties: false };
        return [{ type: 'function', function: { name, ...(description ? { description } : {}), parameters } }];
      }
      const parameters = tool.parameters === undefined || tool.parameters === null ? undefined : requireRecord(tool.parameters, `${param}.parameters`);
      const strict = optionalBoolean(tool.strict, `${param}.strict`);
      return [{ type: 'function', function: { name, ...(description ? { description } : {}), ...(parameters ? { parameters } : {}), ...(strict !== undefined ? { strict } : {}) } }];
    }
    if (FETCHING_TOOLS.has(type) || DROPPABLE_TOOLS.has(type)) this.fetches = true;
    if (DROPPABLE_TOOLS.has(type)) return [];
    this.untranslatable(`${param}.type`, `tool "${type}" runs on OpenAI's servers`);
    return [];
  }
}

function messageOf(item: JsonObject, param: string, state: Translation): ChatMessage {
  const role = item.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    throw invalid(`${param}.role`, 'must be "user", "assistant", "system" or "developer"');
  }
  const content = item.content;
  if (typeof content === 'string') return { role, content };
  if (!Array.isArray(content)) throw invalid(`${param}.content`, 'must be a string or an array of content parts');
  const parts = partsOf(content, `${param}.content`, state);
  if (role === 'assistant' || role === 'system' || role === 'developer') {
    // Only text makes sense there in the chat format.
    return { role, content: parts.map((p) => (p.type === 'text' ? (p as { text: string }).text : '')).join('') };
  }
  return { role, content: parts };
}

function partsOf(raw: unknown[], param: string, state: Translation): ContentPart[] {
  return raw.map((value, i) => {
    const where = `${param}.${i}`;
    const part = requireRecord(value, where);
    const type = requireString(part.type, `${where}.type`);
    switch (type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        return { type: 'text', text: requireString(part.text, `${where}.text`) };
      case 'refusal':
        return { type: 'text', text: requireString(part.refusal, `${where}.refusal`) };
      case 'input_image': {
        const detail = optionalString(part.detail, `${where}.detail`);
        if (detail !== undefined && detail !== 'auto' && detail !== 'low' && detail !== 'high') throw invalid(`${where}.detail`, 'must be "auto", "low" or "high"');
        const url = optionalString(part.image_url, `${where}.image_url`);
        if (url) return { type: 'image_url', image_url: { url, ...(detail ? { detail } : {}) } };
        if (!optionalString(part.file_id, `${where}.file_id`)) throw invalid(`${where}.image_url`, 'an input_image needs image_url or file_id');
        state.untranslatable(where, 'an image given by file_id is stored by OpenAI');
        return { type: 'file', file: { file_id: part.file_id } };
      }
      case 'input_file': {
        const data = optionalString(part.file_data, `${where}.file_data`);
        const filename = optionalString(part.filename, `${where}.filename`);
        if (data) return { type: 'file', file: { file_data: data, ...(filename ? { filename } : {}) } };
        state.untranslatable(where, 'a file given by file_id or file_url is fetched by OpenAI');
        return { type: 'file', file: { file_id: part.file_id ?? part.file_url } };
      }
      case 'input_audio': {
        const audio = requireRecord(part.input_audio, `${where}.input_audio`);
        return { type: 'input_audio', input_audio: { data: requireString(audio.data, `${where}.input_audio.data`), format: audio.format } };
      }
      default:
        throw invalid(`${where}.type`, `unknown content part type "${type}"`);
    }
  });
}

function toolChoiceOf(value: unknown): ChatRequest['tool_choice'] | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (typeof value === 'string') throw invalid('tool_choice', 'must be "auto", "none", "required" or an object');
  const choice = requireRecord(value, 'tool_choice');
  if ((choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') return { type: 'function', function: { name: choice.name } };
  if (choice.type === 'allowed_tools') return choice.mode === 'required' ? 'required' : 'auto';
  return 'auto'; // a built-in tool's choice: that tool is not there when translating
}

function responseFormatOf(format: JsonObject): ChatRequest['response_format'] | undefined {
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const name = requireNonEmptyString(format.name, 'text.format.name');
      const schema = requireRecord(format.schema, 'text.format.schema');
      const description = optionalString(format.description, 'text.format.description');
      const strict = optionalBoolean(format.strict, 'text.format.strict');
      return { type: 'json_schema', json_schema: { name, schema, ...(description ? { description } : {}), ...(strict !== undefined ? { strict } : {}) } };
    }
    default:
      throw invalid('text.format.type', 'must be "text", "json_object" or "json_schema"');
  }
}
