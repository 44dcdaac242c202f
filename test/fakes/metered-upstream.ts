// A fake upstream that bills like a real one, for the money tests: it speaks OpenAI chat completions, Anthropic
// messages and Gemini generateContent (JSON and SSE), counts every request with its own tokenizer, writes answers of its
// own length when no limit is given, honours the limit sent (finish_reason "length" / stop_reason "max_tokens" /
// finishReason "MAX_TOKENS"), and keeps a ledger of what it billed for each request it received.
//
//   const up = await startMeteredUpstream({ answerTokens: () => 3000 });
//   // channel base URLs: up.url (OpenAI, Anthropic: /v1/messages, Gemini: /v1beta/models/{m}:…)
//   up.bills   → one entry per request whose body arrived: its prompt and completion tokens as the upstream bills them
//   up.billedUnits(price) → the total at a price; await up.received(n) → resolves once n requests have arrived
//
// Billing, as providers do it: a request that arrived is billed for its prompt and for every token generated, whether
// or not the client stayed (a non-stream answer is generated to its end; a stream stops generating when its client
// goes away, and what was generated until then is billed). Its own counts differ from the relay's on purpose: 6
// tokens of overhead per message and 3 per request (the relay counts 3 + the role, and 3), PDFs by page (2,500 tokens a
// page), WAV audio by duration (10 tokens a second).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';

const encoder = new Tiktoken(cl100k);
/** Each of these is one token in every OpenAI encoding: generated text is counted exactly by anyone. */
const WORDS = [' the', ' of', ' and', ' to', ' in', ' is', ' it', ' that', ' for', ' on'];
const PER_MESSAGE = 6;
const PER_REQUEST = 3;
export const PDF_PAGE_TOKENS = 2500;
const AUDIO_TOKENS_PER_SECOND = 10;

export type WireFormat = 'openai' | 'anthropic' | 'gemini';

export interface Bill {
  format: WireFormat;
  model: string;
  stream: boolean;
  /** The output limit the request carried (per choice), if any. */
  limit: number | undefined;
  choices: number;
  prompt: number;
  /** Tokens generated (all choices), so far for a stream still running. */
  completion: number;
  /** The answer was generated to its end (false: a stream its client left). */
  finished: boolean;
}

export interface MeteredOptions {
  /** Answer length per choice when nothing limits it (default 3,000 tokens). */
  answerTokens?: (body: Record<string, unknown>, format: WireFormat) => number;
  /** The model's own output maximum: what it stops at when the request gives no limit (default: none). */
  modelMax?: (model: string) => number | undefined;
  /** Report usage 0/0 while billing the real counts (an upstream whose usage cannot be trusted). */
  zeroUsage?: boolean;
  /** Wait this long before answering (a non-stream call, or a stream's response head). */
  delayMs?: number;
  /** Words per stream event, and the pause between events. */
  wordsPerEvent?: number;
  eventDelayMs?: number;
}

export interface MeteredUpstream {
  url: string;
  bills: Bill[];
  options: MeteredOptions;
  /** Resolves once `count` requests have arrived (bodies read). */
  received(count: number): Promise<void>;
  /** What the upstream billed, at a price per prompt and per completion token (quota units, not rounded per call). */
  billedTokens(): { prompt: number; completion: number };
  /** Streams still being written. */
  openStreams(): number;
  close(): Promise<void>;
}

/** Text and attachments of a request, in any of the three formats, as the upstream bills them. */
function promptTokens(format: WireFormat, body: Record<string, unknown>): number {
  let tokens = PER_REQUEST;
  const text = (s: unknown) => (typeof s === 'string' ? encoder.encode(s, 'all').length : 0);
  const part = (p: Record<string, unknown>): number => {
    if (typeof p.text === 'string') return text(p.text);
    const file = p.file as Record<string, unknown> | undefined;
    const source = p.source as Record<string, unknown> | undefined;
    const inline = (p.inlineData ?? p.inline_data) as Record<string, unknown> | undefined;
    const audio = p.input_audio as Record<string, unknown> | undefined;
    if (typeof file?.file_data === 'string') return media(String(file.file_data).replace(/^data:[^,]*,/, ''));
    if (p.type === 'document' && typeof source?.data === 'string') return media(source.data);
    if (typeof inline?.data === 'string') return media(inline.data);
    if (typeof audio?.data === 'string') return media(audio.data);
    if (p.type === 'tool_result') return text(typeof p.content === 'string' ? p.content : JSON.stringify(p.content ?? ''));
    if (p.type === 'tool_use' || p.functionCall) return text(JSON.stringify(p.input ?? p.functionCall));
    return text(JSON.stringify(p));
  };
  const content = (c: unknown): number => (typeof c === 'string' ? text(c) : Array.isArray(c) ? c.reduce((s: number, p) => s + part(p as Record<string, unknown>), 0) : 0);
  if (format === 'gemini') {
    const system = (body.systemInstruction ?? body.system_instruction) as { parts?: unknown[] } | undefined;
    if (system?.parts) tokens += PER_MESSAGE + content(system.parts);
    for (const c of (body.contents as Array<{ parts: unknown[] }>) ?? []) tokens += PER_MESSAGE + content(c.parts);
    return tokens;
  }
  if (format === 'anthropic' && body.system !== undefined) tokens += PER_MESSAGE + content(body.system);
  for (const m of (body.messages as Array<Record<string, unknown>>) ?? []) {
    tokens += PER_MESSAGE + content(m.content);
    if (Array.isArray(m.tool_calls)) tokens += text(JSON.stringify(m.tool_calls));
  }
  if (Array.isArray(body.tools)) tokens += text(JSON.stringify(body.tools));
  return tokens;
}

/** A base64 file: a PDF by its pages, a WAV by its duration, anything else by its size (a token per 4 bytes). */
function media(base64: string): number {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
    const pages = bytes.toString('latin1').match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 1;
    return pages * PDF_PAGE_TOKENS;
  }
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF') return Math.ceil((bytes.length / bytes.readUInt32LE(28)) * AUDIO_TOKENS_PER_SECOND);
  return Math.ceil(bytes.length / 4);
}

function words(count: number, offset = 0): string {
  let out = '';
  for (let i = 0; i < count; i++) out += WORDS[(i + offset) % WORDS.length];
  return out;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

export async function startMeteredUpstream(options: MeteredOptions = {}): Promise<MeteredUpstream> {
  const bills: Bill[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let open = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}');
        return;
      }
      handle(req, res, body);
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    const path = (req.url ?? '').split('?')[0]!;
    const gemini = /^\/v1beta\/models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(path);
    const format: WireFormat | undefined = path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : gemini ? 'gemini' : undefined;
    if (!format) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const model = gemini ? decodeURIComponent(gemini[1]!) : String(body.model);
    const config = (body.generationConfig ?? body.generation_config ?? {}) as Record<string, unknown>;
    const limit =
      format === 'openai' ? (num(body.max_completion_tokens) ?? num(body.max_tokens))
      : format === 'anthropic' ? num(body.max_tokens)
      : (num(config.maxOutputTokens) ?? num(config.max_output_tokens));
    if (format === 'anthropic' && limit === undefined) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } }));
      return;
    }
    const choices = format === 'openai' ? (num(body.n) ?? 1) : format === 'gemini' ? (num(config.candidateCount) ?? 1) : 1;
    const stream = format === 'gemini' ? gemini![2] === 'streamGenerateContent' : body.stream === true;
    const natural = options.answerTokens?.(body, format) ?? 3000;
    const ceiling = limit ?? options.modelMax?.(model);
    const perChoice = ceiling !== undefined ? Math.min(natural, ceiling) : natural;
    const truncated = perChoice < natural;
    const bill: Bill = { format, model, stream, limit, choices, prompt: promptTokens(format, body), completion: 0, finished: false };
    bills.push(bill);
    for (const w of waiters.filter((w) => bills.length >= w.count)) w.resolve();
    const answer = { format, model, bill, perChoice, truncated, includeUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true };
    const go = () => (stream ? streamAnswer(res, answer) : wholeAnswer(res, answer));
    if (options.delayMs) setTimeout(go, options.delayMs);
    else go();
  }

  interface Answer {
    format: WireFormat;
    model: string;
    bill: Bill;
    perChoice: number;
    truncated: boolean;
    includeUsage: boolean;
  }

  const usage = (bill: Bill) => (options.zeroUsage ? { prompt: 0, completion: 0 } : { prompt: bill.prompt, completion: bill.completion });

  /** The whole answer: generated (and billed) to its end even if the client has gone by then. */
  function wholeAnswer(res: ServerResponse, a: Answer): void {
    const { bill } = a;
    bill.completion = a.perChoice * bill.choices;
    bill.finished = true;
    const text = words(a.perChoice);
    const u = usage(bill);
    let out: unknown;
    if (a.format === 'openai') {
      out = {
        id: 'chatcmpl-metered', object: 'chat.completion', created: 1_715_367_049, model: a.model,
        choices: Array.from({ length: bill.choices }, (_, index) => ({ index, message: { role: 'assistant', content: text }, finish_reason: a.truncated ? 'length' : 'stop' })),
        usage: { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion },
      };
    } else if (a.format === 'anthropic') {
      out = {
        id: 'msg_metered', type: 'message', role: 'assistant', model: a.model, content: [{ type: 'text', text }],
        stop_reason: a.truncated ? 'max_tokens' : 'end_turn', stop_sequence: null,
        usage: { input_tokens: u.prompt, output_tokens: u.completion },
      };
    } else {
      out = {
        candidates: Array.from({ length: bill.choices }, (_, index) => ({ index, content: { role: 'model', parts: [{ text }] }, finishReason: a.truncated ? 'MAX_TOKENS' : 'STOP' })),
        usageMetadata: { promptTokenCount: u.prompt, candidatesTokenCount: u.completion, totalTokenCount: u.prompt + u.completion },
        modelVersion: a.model,
      };
    }
    if (res.destroyed) return;
    const json = JSON.stringify(out);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
  }

  /** A stream: generation stops when the client goes away; what was generated until then is billed. */
  function streamAnswer(res: ServerResponse, a: Answer): void {
    const { bill } = a;
    open++;
    let closed = false;
    res.on('close', () => {
      if (!closed) open--;
      closed = true;
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const per = options.wordsPerEvent ?? 50;
    let sent = 0;
    const send = (event: string | undefined, data: unknown) => res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    if (a.format === 'anthropic') {
      send('message_start', { type: 'message_start', message: { id: 'msg_metered', type: 'message', role: 'assistant', model: a.model, content: [], stop_reason: null, usage: { input_tokens: usage(bill).prompt, output_tokens: options.zeroUsage ? 0 : 1 } } });
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    }
    const step = () => {
      if (closed) return; // the client left: nothing more is generated
      const n = Math.min(per, a.perChoice - sent);
      if (n > 0) {
        const text = words(n, sent);
        sent += n;
        bill.completion = sent * bill.choices;
        if (a.format === 'openai') {
          send(undefined, { id: 'chatcmpl-metered', object: 'chat.completion.chunk', created: 1_715_367_049, model: a.model, choices: Array.from({ length: bill.choices }, (_, index) => ({ index, delta: { content: text }, finish_reason: null })) });
        } else if (a.format === 'anthropic') {
          send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
        } else {
          const u = usage(bill);
          send(undefined, { candidates: Array.from({ length: bill.choices }, (_, index) => ({ index, content: { role: 'model', parts: [{ text }] } })), usageMetadata: { promptTokenCount: u.prompt, candidatesTokenCount: u.completion, totalTokenCount: u.prompt + u.completion } });
        }
        setTimeout(step, options.eventDelayMs ?? 1);
        return;
      }
      bill.finished = true;
      const u = usage(bill);
      if (a.format === 'openai') {
        send(undefined, { id: 'chatcmpl-metered', object: 'chat.completion.chunk', created: 1_715_367_049, model: a.model, choices: Array.from({ length: bill.choices }, (_, index) => ({ index, delta: {}, finish_reason: a.truncated ? 'length' : 'stop' })) });
        if (a.includeUsage) send(undefined, { id: 'chatcmpl-metered', object: 'chat.completion.chunk', created: 1_715_367_049, model: a.model, choices: [], usage: { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion } });
        send(undefined, '[DONE]');
      } else if (a.format === 'anthropic') {
        send('content_block_stop', { type: 'content_block_stop', index: 0 });
        send('message_delta', { type: 'message_delta', delta: { stop_reason: a.truncated ? 'max_tokens' : 'end_turn', stop_sequence: null }, usage: { output_tokens: u.completion } });
        send('message_stop', { type: 'message_stop' });
      } else {
        send(undefined, { candidates: Array.from({ length: bill.choices }, (_, index) => ({ index, content: { role: 'model', parts: [{ text: '' }] }, finishReason: a.truncated ? 'MAX_TOKENS' : 'STOP' })), usageMetadata: { promptTokenCount: u.prompt, candidatesTokenCount: u.completion, totalTokenCount: u.prompt + u.completion } });
      }
      res.end();
    };
    step();
  }

  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bills,
    options,
    received: (count) => (bills.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    billedTokens: () => bills.reduce((t, b) => ({ prompt: t.prompt + b.prompt, completion: t.completion + b.completion }), { prompt: 0, completion: 0 }),
    openStreams: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
