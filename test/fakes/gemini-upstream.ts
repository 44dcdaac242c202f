/**
 * A fake Gemini API (generativelanguage.googleapis.com v1beta) for tests: node:http on 127.0.0.1, a random port, the
 * real wire format.
 *
 *   const fake = await startFakeGemini();             // optional { keys: ['AIza-good'] } to reject other keys
 *   // channel base URL: fake.url (it serves POST {fake.url}/v1beta/models/{model}:generateContent and
 *   // :streamGenerateContent, with ?alt=sse for SSE or without it for Google's JSON-array stream)
 *   fake.setScript(() => ({ kind: 'answer', parts: [{ text: 'Hi' }], usage: { promptTokenCount: 5 } }));
 *   fake.setScript(() => ({ kind: 'error', status: 429, rpcStatus: 'RESOURCE_EXHAUSTED', message: 'Quota' }));
 *   fake.setScript(() => ({ kind: 'raw', status: 502, body: '<html>Bad gateway</html>' }));
 *   fake.requests[0].headers['x-goog-api-key']; fake.requests[0].body; fake.requests[0].model
 *   await fake.close();
 *
 * An `answer` streams as one event per 8-character text piece (thought parts likewise), function calls whole, and the
 * finishReason plus the final usageMetadata in the last event; earlier events carry only the prompt count, as the real
 * API does. Stream options: `cutAfter: n` drops the connection after n events; `errorAfter: n` sends an error event.
 * Default script: a text answer "Echo: <last user text>" with DEFAULT_GEMINI_USAGE.
 * Like the real API it answers 403 PERMISSION_DENIED without a key (x-goog-api-key header or ?key=), 400 INVALID_ARGUMENT
 * with reason API_KEY_INVALID for a key not in `keys`, 400 for missing contents, bad roles, empty parts, unknown schema
 * keywords in function declarations (e.g. additionalProperties), an OBJECT schema with empty properties and, for
 * gemini-3* models, a replayed functionCall without a thoughtSignature; 404 NOT_FOUND on other paths.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export type FakeGeminiPart =
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { functionCall: { name: string; args: Json }; thoughtSignature?: string };

export interface FakeGeminiUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

export interface FakeGeminiAnswer {
  kind: 'answer';
  /** Default: [{ text: 'Echo: <last user text>' }]. */
  parts?: FakeGeminiPart[];
  /** Default 'STOP'. */
  finishReason?: string;
  /** Merged over DEFAULT_GEMINI_USAGE; totalTokenCount is computed when not given. */
  usage?: Partial<FakeGeminiUsage>;
  /** Default: the model in the URL. */
  modelVersion?: string;
  /** Answer with promptFeedback.blockReason and no candidates. */
  blockReason?: string;
  /** Wait before sending the response head. */
  delayMs?: number;
  stream?: {
    cutAfter?: number;
    errorAfter?: number;
    error?: { code: number; status: string; message: string };
    eventDelayMs?: number;
  };
}

export interface FakeGeminiError {
  kind: 'error';
  status: number;
  /** google.rpc status name: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, ... */
  rpcStatus: string;
  message: string;
  /** An ErrorInfo reason in details (e.g. API_KEY_INVALID). */
  reason?: string;
}

export interface FakeGeminiRaw {
  kind: 'raw';
  status: number;
  body: string;
  contentType?: string;
}

export type FakeGeminiReply = FakeGeminiAnswer | FakeGeminiError | FakeGeminiRaw;

export interface RecordedGeminiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The model in the URL ("gemini-2.5-flash"), or '' when the path has none. */
  model: string;
  /** 'generateContent' or 'streamGenerateContent' (or whatever followed the colon). */
  action: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
}

export type FakeGeminiScript = (req: RecordedGeminiRequest) => FakeGeminiReply | Promise<FakeGeminiReply>;

export interface FakeGemini {
  url: string;
  requests: RecordedGeminiRequest[];
  setScript(script: FakeGeminiScript): void;
  close(): Promise<void>;
}

export const DEFAULT_GEMINI_USAGE: FakeGeminiUsage = { promptTokenCount: 12, candidatesTokenCount: 8 };

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of the last user content, for the default echo answer. */
export function lastUserText(body: unknown): string {
  const contents = isJson(body) && Array.isArray(body.contents) ? body.contents : [];
  const last = contents.filter((c): c is Json => isJson(c) && (c.role === undefined || c.role === 'user')).at(-1);
  if (!last || !Array.isArray(last.parts)) return '';
  return last.parts.map((p: unknown) => (isJson(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

export const defaultGeminiScript: FakeGeminiScript = (req) => ({ kind: 'answer', parts: [{ text: `Echo: ${lastUserText(req.body)}` }] });

/** google.rpc.Status as the REST API sends it. */
export function geminiErrorBody(error: Omit<FakeGeminiError, 'kind'>): Json {
  const body: Json = { code: error.status, message: error.message, status: error.rpcStatus };
  if (error.reason) {
    body.details = [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: error.reason,
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
    ];
  }
  return { error: body };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

const invalidArgument = (message: string): FakeGeminiError => ({ kind: 'error', status: 400, rpcStatus: 'INVALID_ARGUMENT', message });

/** Keywords the function-declaration Schema accepts; the real API rejects any other with "Unknown name". */
const SCHEMA_KEYS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering',
  'default', 'items', 'minimum', 'maximum',
]);

function schemaProblem(schema: unknown, at: string): string | undefined {
  if (!isJson(schema)) return undefined;
  for (const key of Object.keys(schema)) {
    if (!SCHEMA_KEYS.has(key)) return `Invalid JSON payload received. Unknown name "${key}" at '${at}': Cannot find field.`;
  }
  if (String(schema.type).toLowerCase() === 'object' && isJson(schema.properties) && Object.keys(schema.properties).length === 0) {
    return `* GenerateContentRequest.${at}.properties: should be non-empty for OBJECT type\n`;
  }
  if (isJson(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties)) {
      const problem = schemaProblem(sub, `${at}.properties[${name}].value`);
      if (problem) return problem;
    }
  }
  return schemaProblem(schema.items, `${at}.items`);
}

function bodyProblem(body: Json, model: string): string | undefined {
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified\n';
  for (const [i, content] of contents.entries()) {
    if (!isJson(content)) return `* GenerateContentRequest.contents[${i}]: must be an object\n`;
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') {
      return `Please use a valid role: user, model.`;
    }
    if (!Array.isArray(content.parts) || content.parts.length === 0) {
      return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`;
    }
    const calls = content.parts.filter((p: unknown) => isJson(p) && p.functionCall !== undefined) as Json[];
    if (model.startsWith('gemini-3') && content.role === 'model' && calls[0] && typeof calls[0].thoughtSignature !== 'string') {
      return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${String((calls[0].functionCall as Json).name)}\` , position ${i + 1}.`;
    }
  }
  const tools = Array.isArray(body.tools) ? body.tools : [];
  for (const [i, tool] of tools.entries()) {
    const declarations = isJson(tool) && Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [];
    for (const [j, decl] of declarations.entries()) {
      const problem = isJson(decl) ? schemaProblem(decl.parameters, `tools[${i}].function_declarations[${j}].parameters`) : undefined;
      if (problem) return problem;
    }
  }
  return undefined;
}

/** What the real API checks before it generates: path, key, body shape. */
function rejection(req: RecordedGeminiRequest, keys: string[] | undefined): FakeGeminiError | undefined {
  const models = req.method === 'GET' && req.path === '/v1beta/models';
  if (!models && (req.method !== 'POST' || !req.model || (req.action !== 'generateContent' && req.action !== 'streamGenerateContent'))) {
    return { kind: 'error', status: 404, rpcStatus: 'NOT_FOUND', message: `Requested entity was not found.` };
  }
  const header = req.headers['x-goog-api-key'];
  const key = typeof header === 'string' && header !== '' ? header : req.query.key;
  if (!key) {
    return {
      kind: 'error',
      status: 403,
      rpcStatus: 'PERMISSION_DENIED',
      message:
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    };
  }
  if (keys && !keys.includes(key)) {
    return { ...invalidArgument('API key not valid. Please pass a valid API key.'), reason: 'API_KEY_INVALID' };
  }
  if (models) return undefined;
  if (!isJson(req.body)) return invalidArgument('Invalid JSON payload received.');
  const problem = bodyProblem(req.body, req.model);
  return problem ? invalidArgument(problem) : undefined;
}

function usageOf(answer: FakeGeminiAnswer): Json {
  const usage: FakeGeminiUsage = { ...DEFAULT_GEMINI_USAGE, ...answer.usage };
  const total = usage.totalTokenCount ?? usage.promptTokenCount + usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0);
  return { ...usage, totalTokenCount: total };
}

let responseCounter = 0;

interface Built {
  responseId: string;
  modelVersion: string;
  parts: FakeGeminiPart[];
  usage: Json;
}

function build(answer: FakeGeminiAnswer, req: RecordedGeminiRequest): Built {
  return {
    responseId: `fake-gemini-${++responseCounter}`,
    modelVersion: answer.modelVersion ?? req.model,
    parts: answer.parts ?? [{ text: `Echo: ${lastUserText(req.body)}` }],
    usage: usageOf(answer),
  };
}

/** The whole answer as generateContent returns it. */
function responseOf(answer: FakeGeminiAnswer, built: Built): Json {
  if (answer.blockReason) {
    return {
      promptFeedback: { blockReason: answer.blockReason, safetyRatings: [] },
      usageMetadata: { promptTokenCount: built.usage.promptTokenCount, totalTokenCount: built.usage.promptTokenCount },
      modelVersion: built.modelVersion,
      responseId: built.responseId,
    };
  }
  return {
    candidates: [{ content: { parts: built.parts, role: 'model' }, finishReason: answer.finishReason ?? 'STOP', index: 0 }],
    usageMetadata: built.usage,
    modelVersion: built.modelVersion,
    responseId: built.responseId,
  };
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** The partial responses streamGenerateContent sends for an answer. */
export function streamResponsesOf(answer: FakeGeminiAnswer, built: Built): Json[] {
  if (answer.blockReason) return [responseOf(answer, built)];
  const chunks: FakeGeminiPart[] = [];
  for (const part of built.parts) {
    if ('text' in part) {
      for (const text of pieces(part.text, 8)) chunks.push({ ...part, text });
    } else chunks.push(part);
  }
  const partial = { promptTokenCount: built.usage.promptTokenCount, totalTokenCount: built.usage.promptTokenCount };
  return chunks.map((part, i) => {
    const last = i === chunks.length - 1;
    const candidate: Json = { content: { parts: [part], role: 'model' }, index: 0 };
    if (last) candidate.finishReason = answer.finishReason ?? 'STOP';
    return {
      candidates: [candidate],
      usageMetadata: last ? built.usage : partial,
      modelVersion: built.modelVersion,
      responseId: built.responseId,
    };
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function sendStream(res: ServerResponse, answer: FakeGeminiAnswer, built: Built, sse: boolean): Promise<void> {
  res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json; charset=UTF-8' });
  const events = streamResponsesOf(answer, built);
  const options = answer.stream ?? {};
  if (!sse) res.write('[');
  for (let i = 0; i < events.length; i++) {
    if (res.destroyed) return;
    if (options.cutAfter !== undefined && i >= options.cutAfter) {
      res.destroy();
      return;
    }
    if (options.errorAfter !== undefined && i >= options.errorAfter) {
      const error = options.error ?? { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' };
      res.end(sse ? `data: ${JSON.stringify({ error })}\r\n\r\n` : `${i > 0 ? ',\r\n' : ''}${JSON.stringify({ error })}]`);
      return;
    }
    const json = JSON.stringify(events[i]);
    res.write(sse ? `data: ${json}\r\n\r\n` : `${i > 0 ? ',\r\n' : ''}${json}`);
    if (options.eventDelayMs) await sleep(options.eventDelayMs);
  }
  res.end(sse ? '' : ']');
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function record(req: IncomingMessage, body: unknown): RecordedGeminiRequest {
  const url = new URL(req.url ?? '/', 'http://fake');
  const match = /^\/v1beta\/models\/([^/:]+):([A-Za-z]+)$/.exec(url.pathname);
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    model: match ? decodeURIComponent(match[1]!) : '',
    action: match ? match[2]! : '',
    headers: req.headers,
    body,
  };
}

export async function startFakeGemini(options: { keys?: string[] } = {}): Promise<FakeGemini> {
  const requests: RecordedGeminiRequest[] = [];
  let script: FakeGeminiScript = defaultGeminiScript;

  const server = createServer((req, res) => {
    void (async () => {
      const recorded = record(req, await readBody(req));
      requests.push(recorded);
      const refused = rejection(recorded, options.keys);
      if (!refused && recorded.method === 'GET' && recorded.path === '/v1beta/models') {
        const models = ['gemini-2.5-flash', 'gemini-2.5-pro'].map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent'] }));
        return sendJson(res, 200, { models });
      }
      const reply = refused ?? (await script(recorded));
      if (reply.kind === 'error') return sendJson(res, reply.status, geminiErrorBody(reply));
      if (reply.kind === 'raw') {
        res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/html' });
        res.end(reply.body);
        return;
      }
      if (reply.delayMs) await sleep(reply.delayMs);
      const built = build(reply, recorded);
      if (recorded.action === 'streamGenerateContent') await sendStream(res, reply, built, recorded.query.alt === 'sse');
      else sendJson(res, 200, responseOf(reply, built));
    })().catch((err: unknown) => {
      // A broken script is a test bug: answer 500 so the test sees it instead of hanging.
      if (!res.headersSent) sendJson(res, 500, geminiErrorBody({ status: 500, rpcStatus: 'INTERNAL', message: `fake script failed: ${String(err)}` }));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript(next) {
      script = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
