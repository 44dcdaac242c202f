// Canonical (OpenAI) chat request → Gemini generateContent body.
import { RelayError } from '../../errors.js';
import type { ChatMessage, ChatRequest, ContentPart, FunctionTool, ToolCall } from '../types.js';
import { isRecord, stringOf, tryParseJson } from '../json.js';
import { toGeminiParameters, toGeminiSchema } from './schema.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest } from './types.js';

/**
 * Gemini 3 rejects a replayed functionCall without the thoughtSignature it issued; histories that come from other
 * providers (or clients that dropped it) have none. Google documents this value as the way to skip the check.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

const DATA_URI = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

function invalid(message: string, param: string): RelayError {
  return new RelayError('invalid_request', message, 400, { param });
}

/** data:<mime>;base64,<data> → inlineData; anything else is an image the pipeline should have inlined. */
function inlineDataOf(url: string, param: string): GeminiPart {
  const match = DATA_URI.exec(url);
  if (match) return { inlineData: { mimeType: match[1] as string, data: match[2] as string } };
  if (/^https?:/i.test(url)) {
    throw new RelayError('unsupported_image', `${param}: this channel needs images inline (data: URIs)`, 400, { param });
  }
  throw new RelayError('unsupported_image', `${param}: expected a base64 data: URI`, 400, { param });
}

const AUDIO_MIME: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' };

function partOf(part: ContentPart, param: string): GeminiPart | undefined {
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' && part.text !== '' ? { text: part.text } : undefined;
    case 'image_url': {
      const imageUrl = part.image_url;
      const url = isRecord(imageUrl) ? stringOf(imageUrl.url) : stringOf(imageUrl);
      if (url === undefined) throw invalid(`${param}.image_url.url must be a string`, `${param}.image_url.url`);
      return inlineDataOf(url, `${param}.image_url.url`);
    }
    case 'input_audio': {
      const audio = part.input_audio;
      const data = isRecord(audio) ? stringOf(audio.data) : undefined;
      const format = isRecord(audio) ? stringOf(audio.format) : undefined;
      if (data === undefined || format === undefined) {
        throw invalid(`${param}.input_audio needs data and format`, `${param}.input_audio`);
      }
      return { inlineData: { mimeType: AUDIO_MIME[format] ?? `audio/${format}`, data } };
    }
    case 'file': {
      const file = part.file;
      const fileData = isRecord(file) ? stringOf(file.file_data) : undefined;
      const fileUrl = isRecord(file) ? stringOf(file.file_url) : undefined;
      if (fileData === undefined && fileUrl !== undefined && /^https?:\/\//i.test(fileUrl)) {
        // A file by URL that a Gemini client sent as fileData: back as it came.
        const mimeType = isRecord(file) ? stringOf(file.mime_type) : undefined;
        return { fileData: { fileUri: fileUrl, ...(mimeType ? { mimeType } : {}) } };
      }
      if (fileData === undefined) throw invalid(`${param}.file.file_data must be a data: URI`, `${param}.file.file_data`);
      return inlineDataOf(fileData, `${param}.file.file_data`);
    }
    default:
      throw invalid(`${param}: content part type "${part.type}" is not supported by this channel`, `${param}.type`);
  }
}

function partsOfContent(content: ChatMessage['content'], param: string): GeminiPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of parts`, param);
  const parts: GeminiPart[] = [];
  content.forEach((part, i) => {
    if (!isRecord(part)) throw invalid(`${param}[${i}] must be an object`, `${param}[${i}]`);
    const converted = partOf(part, `${param}[${i}]`);
    if (converted) parts.push(converted);
  });
  return parts;
}

function textOfContent(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}

function argsOf(call: ToolCall, param: string): Record<string, unknown> {
  const raw = call.function?.arguments;
  if (raw === undefined || raw === '') return {};
  const parsed = typeof raw === 'string' ? tryParseJson(raw) : raw;
  if (!isRecord(parsed)) throw invalid(`${param}.function.arguments must be a JSON object`, `${param}.function.arguments`);
  return parsed;
}

/** A signature we issued in an earlier answer, carried the way Google's own OpenAI endpoint does. */
function signatureOf(call: ToolCall & { extra_content?: unknown }): string | undefined {
  const extra = call.extra_content;
  const google = isRecord(extra) ? extra.google : undefined;
  return isRecord(google) ? stringOf(google.thought_signature) : undefined;
}

function functionCallParts(calls: ToolCall[], param: string): GeminiPart[] {
  return calls.map((call, i) => {
    const part: GeminiPart = { functionCall: { name: call.function.name, args: argsOf(call, `${param}[${i}]`) } };
    const signature = signatureOf(call) ?? (i === 0 ? SKIP_THOUGHT_SIGNATURE : undefined);
    if (signature) part.thoughtSignature = signature;
    return part;
  });
}

/** Tool results must be objects: a JSON object is used as is, anything else is wrapped as {result}. */
function functionResponseOf(content: ChatMessage['content']): Record<string, unknown> {
  const text = textOfContent(content);
  const parsed = tryParseJson(text);
  if (isRecord(parsed)) return parsed;
  return { result: parsed === undefined ? text : parsed };
}

interface Converted {
  contents: GeminiContent[];
  system: string[];
}

function convertMessages(messages: ChatMessage[]): Converted {
  // Tool call id → function name, as of the message being converted (ids like call_0 repeat across turns).
  const names = new Map<string, string>();
  const contents: GeminiContent[] = [];
  const system: string[] = [];

  const append = (role: 'user' | 'model', parts: GeminiPart[]): void => {
    if (parts.length === 0) return; // Gemini rejects a content with no parts
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    if (!isRecord(message)) throw invalid(`${param} must be an object`, param);
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOfContent(message.content);
        if (text) system.push(text);
        break;
      }
      case 'user':
        append('user', partsOfContent(message.content, `${param}.content`));
        break;
      case 'assistant':
        for (const call of message.tool_calls ?? []) {
          if (call?.id && call.function?.name) names.set(call.id, call.function.name);
        }
        append('model', [
          ...partsOfContent(message.content, `${param}.content`),
          ...functionCallParts(message.tool_calls ?? [], `${param}.tool_calls`),
        ]);
        break;
      case 'tool': {
        const id = message.tool_call_id;
        const name = (id !== undefined ? names.get(id) : undefined) ?? message.name;
        if (!name) throw invalid(`${param}.tool_call_id "${id ?? ''}" matches no earlier tool call`, `${param}.tool_call_id`);
        append('user', [{ functionResponse: { name, response: functionResponseOf(message.content) } }]);
        break;
      }
      case 'function': {
        if (!message.name) throw invalid(`${param}.name is required for role "function"`, `${param}.name`);
        append('user', [{ functionResponse: { name: message.name, response: functionResponseOf(message.content) } }]);
        break;
      }
      default:
        throw invalid(`${param}.role "${String(message.role)}" is not supported`, `${param}.role`);
    }
  });
  return { contents, system };
}

function toolsOf(tools: FunctionTool[] | undefined): GeminiRequest['tools'] {
  const declarations = (tools ?? [])
    .filter((tool) => tool?.type === 'function' && tool.function?.name)
    .map((tool) => {
      const parameters = toGeminiParameters(tool.function.parameters);
      return {
        name: tool.function.name,
        ...(tool.function.description ? { description: tool.function.description } : {}),
        ...(parameters ? { parameters } : {}),
      };
    });
  return declarations.length > 0 ? [{ functionDeclarations: declarations }] : undefined;
}

function toolConfigOf(choice: ChatRequest['tool_choice']): GeminiRequest['toolConfig'] {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  throw invalid('tool_choice must be "auto", "none", "required" or {type:"function",function:{name}}', 'tool_choice');
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function generationConfigOf(req: ChatRequest): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  const maxTokens = numberOrUndefined(req.max_completion_tokens) ?? numberOrUndefined(req.max_tokens);
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  const temperature = numberOrUndefined(req.temperature);
  if (temperature !== undefined) config.temperature = temperature;
  const topP = numberOrUndefined(req.top_p);
  if (topP !== undefined) config.topP = topP;
  if (typeof req.stop === 'string') config.stopSequences = [req.stop];
  else if (Array.isArray(req.stop) && req.stop.length > 0) config.stopSequences = req.stop;
  const n = numberOrUndefined(req.n);
  if (n !== undefined) config.candidateCount = n;
  const presence = numberOrUndefined(req.presence_penalty);
  if (presence !== undefined) config.presencePenalty = presence;
  const frequency = numberOrUndefined(req.frequency_penalty);
  if (frequency !== undefined) config.frequencyPenalty = frequency;
  const seed = numberOrUndefined(req.seed);
  if (seed !== undefined) config.seed = seed;

  const format = req.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
    if (isRecord(schema)) config.responseSchema = toGeminiSchema(schema);
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

export function toGeminiRequest(req: ChatRequest): GeminiRequest {
  if (!Array.isArray(req.messages)) throw invalid('messages must be an array', 'messages');
  const { contents, system } = convertMessages(req.messages);
  if (contents.length === 0) throw invalid('messages must contain at least one user or assistant message', 'messages');
  const body: GeminiRequest = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system.map((text) => ({ text })) };
  const tools = toolsOf(req.tools);
  if (tools) body.tools = tools;
  const toolConfig = toolConfigOf(req.tool_choice);
  if (toolConfig) body.toolConfig = toolConfig;
  const generationConfig = generationConfigOf(req);
  if (generationConfig) body.generationConfig = generationConfig;
  return body;
}
