// Gemini generateContent request → canonical (OpenAI) chat request, so any channel can answer a Gemini client.
// What has no canonical equivalent and only changes how Gemini itself behaves (safetySettings, cachedContent,
// thinkingConfig, topK, built-in tools such as googleSearch) is left out; a native Gemini channel still receives the
// original body untouched.
import type { ChatMessage, ChatRequest, ContentPart, FunctionTool, ToolCall } from '../../../providers/types.js';
import { isRecord } from '../../../providers/json.js';
import { fromGeminiSchema } from '../../../providers/gemini/schema.js';
import {
  field,
  invalid,
  optionalNumber,
  optionalRecord,
  optionalString,
  requireArray,
  requireRecord,
  requireString,
} from './fields.js';

/** Calls the model made that still await a functionResponse; ids are generated when the client's parts have none. */
interface CallLedger {
  next: number;
  pending: Array<{ id: string; name: string }>;
}

const AUDIO_FORMATS: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/mp3': 'mp3',
  'audio/mpeg': 'mp3',
};

/** Keys a part may carry beside its payload. */
const PART_METADATA = new Set(['thought', 'thoughtSignature', 'thought_signature', 'videoMetadata', 'video_metadata']);

function isMetadataOnly(part: Record<string, unknown>): boolean {
  return Object.keys(part).every((key) => PART_METADATA.has(key));
}

function inlinePart(value: unknown, param: string): ContentPart {
  const inline = requireRecord(value, param);
  const mimeType = requireString(field(inline, 'mimeType'), `${param}.mimeType`);
  const data = requireString(field(inline, 'data'), `${param}.data`);
  const uri = `data:${mimeType};base64,${data}`;
  if (mimeType.startsWith('image/')) return { type: 'image_url', image_url: { url: uri } };
  const audioFormat = AUDIO_FORMATS[mimeType];
  if (audioFormat) return { type: 'input_audio', input_audio: { data, format: audioFormat } };
  const extension = mimeType.split('/')[1]?.split(/[+;]/)[0] ?? 'bin';
  return { type: 'file', file: { filename: `attachment.${extension}`, file_data: uri } };
}

/** An image file name, for a fileData that names no MIME type. */
const IMAGE_PATH = /\.(?:png|jpe?g|gif|webp)$/i;

/**
 * An image by URL stays an image; any other file by URL (a PDF, a video: Gemini takes YouTube links with no MIME
 * type) is a file the relay cannot see into, reserved at the model's context window (billing/attachments.ts).
 */
function filePart(value: unknown, param: string): ContentPart {
  const file = requireRecord(value, param);
  const uri = requireString(field(file, 'fileUri'), `${param}.fileUri`);
  if (!/^https?:\/\//i.test(uri)) throw invalid(`${param}.fileUri must be an http(s) URL to be relayed`, `${param}.fileUri`);
  const mimeType = optionalString(field(file, 'mimeType'), `${param}.mimeType`);
  const image = mimeType !== undefined ? mimeType.startsWith('image/') : IMAGE_PATH.test(uri.split(/[?#]/)[0]!);
  if (image) return { type: 'image_url', image_url: { url: uri } };
  return { type: 'file', file: { file_url: uri, ...(mimeType ? { mime_type: mimeType } : {}) } };
}

function functionCallOf(value: unknown, param: string, ledger: CallLedger): ToolCall {
  const call = requireRecord(value, param);
  const name = requireString(call.name, `${param}.name`);
  const args = optionalRecord(call.args, `${param}.args`) ?? {};
  const id = optionalString(call.id, `${param}.id`) ?? `call_${ledger.next++}`;
  ledger.pending.push({ id, name });
  return { id, type: 'function', function: { name, arguments: JSON.stringify(args) } };
}

function toolMessageOf(value: unknown, param: string, ledger: CallLedger): ChatMessage {
  const response = requireRecord(value, param);
  const name = requireString(response.name, `${param}.name`);
  const id = optionalString(response.id, `${param}.id`);
  const body = optionalRecord(response.response, `${param}.response`) ?? {};
  // By id when the client sent one that matches, else the oldest unanswered call of that name.
  const byId = id !== undefined ? ledger.pending.findIndex((call) => call.id === id) : -1;
  const at = byId >= 0 ? byId : ledger.pending.findIndex((call) => call.name === name);
  if (at < 0) throw invalid(`${param}: no earlier functionCall named "${name}" awaits a response`, param);
  const [call] = ledger.pending.splice(at, 1);
  return { role: 'tool', tool_call_id: (call as { id: string }).id, content: JSON.stringify(body) };
}

function modelMessage(parts: unknown[], param: string, ledger: CallLedger): ChatMessage | undefined {
  let text = '';
  const toolCalls: ToolCall[] = [];
  parts.forEach((raw, j) => {
    const p = `${param}[${j}]`;
    const part = requireRecord(raw, p);
    const call = field(part, 'functionCall');
    if (call !== undefined) toolCalls.push(functionCallOf(call, `${p}.functionCall`, ledger));
    else if (part.text !== undefined) {
      const value = requireString(part.text, `${p}.text`);
      // Thought summaries are the model's own scratch work; upstreams reject or ignore them as input.
      if (part.thought !== true) text += value;
    } else if (!isMetadataOnly(part)) {
      throw invalid(`${p}: a model turn can carry only text and functionCall parts`, p);
    }
  });
  if (text === '' && toolCalls.length === 0) return undefined;
  const message: ChatMessage = { role: 'assistant', content: text === '' ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

/** Tool results first (they answer the previous model turn), then what the user wrote. */
function userMessages(parts: unknown[], param: string, ledger: CallLedger): ChatMessage[] {
  const tools: ChatMessage[] = [];
  const content: ContentPart[] = [];
  parts.forEach((raw, j) => {
    const p = `${param}[${j}]`;
    const part = requireRecord(raw, p);
    const inline = field(part, 'inlineData');
    const file = field(part, 'fileData');
    const response = field(part, 'functionResponse');
    if (part.text !== undefined) content.push({ type: 'text', text: requireString(part.text, `${p}.text`) });
    else if (inline !== undefined) content.push(inlinePart(inline, `${p}.inlineData`));
    else if (file !== undefined) content.push(filePart(file, `${p}.fileData`));
    else if (response !== undefined) tools.push(toolMessageOf(response, `${p}.functionResponse`, ledger));
    else if (field(part, 'functionCall') !== undefined) {
      throw invalid(`${p}.functionCall is only allowed in a "model" turn`, `${p}.functionCall`);
    } else if (!isMetadataOnly(part)) {
      throw invalid(`${p} must have text, inlineData, fileData or functionResponse`, p);
    }
  });
  if (content.length === 0) return tools;
  const only = content[0];
  const simple = content.length === 1 && only?.type === 'text' ? (only.text as string) : content;
  return [...tools, { role: 'user', content: simple }];
}

function messagesOf(body: Record<string, unknown>): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const system = systemTextOf(field(body, 'systemInstruction'));
  if (system !== undefined) messages.push({ role: 'system', content: system });

  const contents = requireArray(field(body, 'contents'), 'contents', true);
  const ledger: CallLedger = { next: 0, pending: [] };
  contents.forEach((raw, i) => {
    const param = `contents[${i}]`;
    const content = requireRecord(raw, param);
    const role = optionalString(content.role, `${param}.role`) ?? 'user';
    const parts = requireArray(content.parts, `${param}.parts`, true);
    if (role === 'model') {
      const message = modelMessage(parts, `${param}.parts`, ledger);
      if (message) messages.push(message);
    } else if (role === 'user' || role === 'function') {
      messages.push(...userMessages(parts, `${param}.parts`, ledger));
    } else {
      throw invalid(`${param}.role must be "user" or "model"`, `${param}.role`);
    }
  });
  if (!messages.some((m) => m.role !== 'system')) throw invalid('contents must contain at least one part', 'contents');
  return messages;
}

function systemTextOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const instruction = requireRecord(value, 'systemInstruction');
  const parts = requireArray(instruction.parts, 'systemInstruction.parts');
  const texts = parts.map((raw, j) => {
    const part = requireRecord(raw, `systemInstruction.parts[${j}]`);
    return requireString(part.text, `systemInstruction.parts[${j}].text`);
  });
  return texts.length > 0 ? texts.join('\n') : undefined;
}

function toolsOf(value: unknown): FunctionTool[] {
  if (value === undefined || value === null) return [];
  const tools: FunctionTool[] = [];
  requireArray(value, 'tools').forEach((raw, i) => {
    const tool = requireRecord(raw, `tools[${i}]`);
    const declarations = field(tool, 'functionDeclarations');
    if (declarations === undefined) return; // googleSearch, codeExecution, ...: Gemini-only
    requireArray(declarations, `tools[${i}].functionDeclarations`).forEach((rawDecl, j) => {
      const param = `tools[${i}].functionDeclarations[${j}]`;
      const decl = requireRecord(rawDecl, param);
      const fn: FunctionTool['function'] = { name: requireString(decl.name, `${param}.name`) };
      const description = optionalString(decl.description, `${param}.description`);
      if (description !== undefined) fn.description = description;
      const jsonSchema = optionalRecord(field(decl, 'parametersJsonSchema'), `${param}.parametersJsonSchema`);
      const schema = optionalRecord(decl.parameters, `${param}.parameters`);
      if (jsonSchema) fn.parameters = jsonSchema;
      else if (schema) fn.parameters = fromGeminiSchema(schema);
      tools.push({ type: 'function', function: fn });
    });
  });
  return tools;
}

/** toolConfig → tool_choice; ANY restricted to several names narrows the tool list instead (OpenAI names only one). */
function applyToolConfig(value: unknown, req: ChatRequest): void {
  const config = optionalRecord(value, 'toolConfig');
  if (!config) return;
  const param = 'toolConfig.functionCallingConfig';
  const calling = optionalRecord(field(config, 'functionCallingConfig'), param);
  if (!calling) return;
  const mode = (optionalString(calling.mode, `${param}.mode`) ?? 'AUTO').toUpperCase();
  const allowed = field(calling, 'allowedFunctionNames');
  const names =
    allowed === undefined || allowed === null
      ? []
      : requireArray(allowed, `${param}.allowedFunctionNames`).map((n, k) =>
          requireString(n, `${param}.allowedFunctionNames[${k}]`),
        );
  switch (mode) {
    case 'AUTO':
    case 'VALIDATED':
    case 'MODE_UNSPECIFIED':
      req.tool_choice = 'auto';
      return;
    case 'NONE':
      req.tool_choice = 'none';
      return;
    case 'ANY':
      if (names.length === 1) {
        req.tool_choice = { type: 'function', function: { name: names[0] as string } };
      } else {
        req.tool_choice = 'required';
        if (names.length > 1 && req.tools) req.tools = req.tools.filter((t) => names.includes(t.function.name));
      }
      return;
    default:
      throw invalid(`${param}.mode must be AUTO, ANY or NONE`, `${param}.mode`);
  }
}

function applyGenerationConfig(value: unknown, req: ChatRequest): void {
  const config = optionalRecord(value, 'generationConfig');
  if (!config) return;
  const p = (name: string): string => `generationConfig.${name}`;
  const get = (name: string): unknown => field(config, name);

  const maxTokens = optionalNumber(get('maxOutputTokens'), p('maxOutputTokens'), true);
  if (maxTokens !== undefined) req.max_tokens = maxTokens;
  const temperature = optionalNumber(get('temperature'), p('temperature'));
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(get('topP'), p('topP'));
  if (topP !== undefined) req.top_p = topP;
  optionalNumber(get('topK'), p('topK'), true); // validated; OpenAI-format upstreams have no top_k
  const n = optionalNumber(get('candidateCount'), p('candidateCount'), true);
  if (n !== undefined) req.n = n;
  const presence = optionalNumber(get('presencePenalty'), p('presencePenalty'));
  if (presence !== undefined) req.presence_penalty = presence;
  const frequency = optionalNumber(get('frequencyPenalty'), p('frequencyPenalty'));
  if (frequency !== undefined) req.frequency_penalty = frequency;
  const seed = optionalNumber(get('seed'), p('seed'), true);
  if (seed !== undefined) req.seed = seed;

  const stop = get('stopSequences');
  if (stop !== undefined && stop !== null) {
    const sequences = requireArray(stop, p('stopSequences')).map((s, k) => requireString(s, `${p('stopSequences')}[${k}]`));
    if (sequences.length > 0) req.stop = sequences;
  }

  const mimeType = optionalString(get('responseMimeType'), p('responseMimeType'));
  const jsonSchema = optionalRecord(get('responseJsonSchema'), p('responseJsonSchema'));
  const schema = optionalRecord(get('responseSchema'), p('responseSchema'));
  if (jsonSchema || schema) {
    req.response_format = {
      type: 'json_schema',
      json_schema: { name: 'response', schema: jsonSchema ?? fromGeminiSchema(schema) },
    };
  } else if (mimeType === 'application/json') {
    req.response_format = { type: 'json_object' };
  }
}

export function geminiToChatRequest(body: unknown, from: { model?: string; stream?: boolean }): ChatRequest {
  if (!isRecord(body)) throw invalid('the request body must be a JSON object', 'body');
  const model = from.model ?? (typeof body.model === 'string' ? body.model.replace(/^models\//, '') : undefined);
  if (!model) throw invalid('model is required (in the URL: /v1beta/models/{model}:generateContent)', 'model');
  const req: ChatRequest = { model, messages: messagesOf(body), stream: from.stream === true };
  const tools = toolsOf(body.tools);
  if (tools.length > 0) req.tools = tools;
  applyToolConfig(field(body, 'toolConfig'), req);
  if (!req.tools) delete req.tool_choice; // OpenAI rejects a tool_choice without tools
  applyGenerationConfig(field(body, 'generationConfig'), req);
  return req;
}
