// One upstream attempt: build the provider request, send it, and deliver the answer to the sink — as is when the client
// speaks the channel's own format (native pass-through), translated through the canonical format otherwise — while
// metering what was generated. It returns how it ended (done | retry | failed, with the key to disable and why); the
// pipeline decides what comes next (docs/lifecycle.md §6). Only a bug throws out of here.
import { RelayError } from '../errors.js';
import type {
  ChatCompletionChunk,
  ChatRequest,
  NativeApi,
  ProviderAdapter,
  SseEvent,
  StreamContext,
  UpstreamErrorInfo,
  UpstreamRequest,
  UpstreamTarget,
  Usage,
} from '../providers/types.js';
import { UpstreamStreamError } from '../providers/types.js';
import type { RelayCall } from './call.js';
import type { RouteChoice } from './channels.js';
import type { ResponseSink } from './sink.js';
import type { ContentFilter } from './content-filter.js';
import { DEFAULT_TOTAL_TIMEOUT_MS, classify, readBytes, readText, UpstreamUnreachable, type Forwarder, type UpstreamResponse } from './forward.js';
import { SseReader, encodeSse } from './sse.js';
import { encodeCompletion, streamEncoderFor } from './encoders.js';
import { EXTRA_PATHS, extraUsage, isOpenAIOnly } from './extra-endpoints.js';
import { scrubSecrets } from '../auth/redact.js';
import { withOutputLimit } from '../providers/openai/limit.js';
import { withFields } from '../providers/json.js';
import { choicesText, messageText } from '../providers/openai/text.js';
import { readsGeneratedText } from '../billing/billed-usage.js';

/** Largest non-stream upstream answer we buffer (a big embeddings batch is tens of MB). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface AttemptDeps {
  forwarder: Forwarder;
  filter: ContentFilter;
  adapterFor(type: string): ProviderAdapter | undefined;
  /**
   * The longest a call may run in all (every attempt together): shorter than the hold TTL, so the sweeper can never
   * release the reservation of a call that is still running.
   */
  maxCallMs: number;
  /** Replaces http(s) image URLs with data: URIs (SSRF-safe download) for upstreams that need inline images. */
  inlineImages(req: ChatRequest, signal: AbortSignal): Promise<ChatRequest>;
  /** Every configured channel key, as of now: what upstream text must never carry into the relay. */
  secrets(): Iterable<string>;
}

/**
 * How an attempt ended.
 * - `done`: the answer is delivered (a non-stream body or a stream's closing events wait on the call for settle).
 * - `retry`: nothing reached the client and the failure is the upstream's: another channel or key may serve the call.
 * - `failed`: the call ends with `error` (before the first byte: as the answer; after it: as an in-stream event).
 * `disable`: the upstream said this key is invalid or out of credit; the reason to record (keys scrubbed).
 * `fault`: the failure means "broken for now" (the circuit breaker counts it, relay/breaker.ts).
 */
export type AttemptResult =
  | { readonly outcome: 'done' }
  | { readonly outcome: 'retry'; readonly error: RelayError; readonly disable?: string; readonly fault?: Fault }
  | { readonly outcome: 'failed'; readonly error: RelayError; readonly disable?: string; readonly fault?: Fault };

/** Kinds of failure that mean an upstream (or key) is broken for now: what the breaker may count. */
export const FAULTS = ['server_error', 'overloaded', 'timeout', 'connection', 'rate_limited'] as const;
export type Fault = (typeof FAULTS)[number];

/** An attempt that did not deliver. */
export type AttemptFailure = Exclude<AttemptResult, { outcome: 'done' }>;

const DONE: AttemptResult = Object.freeze({ outcome: 'done' });
const retry = (error: RelayError, disable?: string, fault?: Fault): AttemptFailure => ({
  outcome: 'retry',
  error,
  ...(disable ? { disable } : {}),
  ...(fault ? { fault } : {}),
});
const failed = (error: RelayError, fault?: Fault): AttemptFailure => (fault ? { outcome: 'failed', error, fault } : { outcome: 'failed', error });
export const clientGone = (): RelayError => new RelayError('invalid_request', 'client closed the connection', 499);

/** Everything one attempt works with. */
interface Attempt {
  readonly deps: AttemptDeps;
  readonly call: RelayCall;
  readonly choice: RouteChoice;
  readonly adapter: ProviderAdapter;
  /** The client speaks the channel's own format: bodies and events pass through as they are. */
  readonly native: boolean;
  /** That format's native side (the adapter's chat-native one, or its Responses API), when `native`. */
  readonly api: NativeApi | undefined;
  readonly sink: ResponseSink;
  readonly clock: AttemptClock;
}

/** One attempt's time limit, and the body its timer cuts off when it runs out. */
interface AttemptClock {
  budgetMs: number;
  body: UpstreamResponse['body'] | undefined;
  timedOut: boolean;
}

export async function attempt(deps: AttemptDeps, call: RelayCall, choice: RouteChoice, sink: ResponseSink): Promise<AttemptResult> {
  const adapter = deps.adapterFor(choice.channel.type);
  if (!adapter) return retry(new RelayError('no_channel', `channel ${choice.channel.id} has unknown type ${choice.channel.type}`));
  const unsupported = unsupportedBy(adapter, call);
  if (unsupported) return retry(new RelayError('no_channel', `channel type ${adapter.type} does not support ${unsupported}`));

  const api = nativeApiFor(adapter, call);
  // A request only the client format's own upstream understands: refused here, another channel may speak it natively.
  if (!api && call.untranslatable) return retry(new RelayError('invalid_request', call.untranslatable, 400));

  const clock: AttemptClock = { budgetMs: 0, body: undefined, timedOut: false };
  const a: Attempt = { deps, call, choice, adapter, native: api !== undefined, api, sink, clock };
  let upstream: UpstreamRequest;
  try {
    upstream = await buildRequest(a);
  } catch (err) {
    if (err instanceof RelayError) return failed(err); // the adapter refused the request (invalid_request, unsupported_image, …)
    throw err;
  }

  const left = call.startedAt + deps.maxCallMs - Date.now();
  if (left <= 0) return failed(new RelayError('upstream_timeout', 'the call ran out of time before this attempt'));
  if (sink.gone) return failed(clientGone()); // gone before anything was sent: nothing to pay for
  // The attempt's time limit: before the response head, undici's headers timeout is cut to the time left; after it, a
  // timer destroys the body.
  clock.budgetMs = Math.min(choice.channel.config.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS, left);
  const timer = setTimeout(() => {
    clock.timedOut = true;
    clock.body?.destroy(attemptTimedOut(clock.budgetMs));
  }, clock.budgetMs);
  // The upstream call is not the client's: a call the upstream has received is finished and paid for even when the
  // client hangs up before the answer begins (docs/billing.md). Only once bytes reached the client does its leaving
  // stop the upstream (a stream the client cut): its body is destroyed.
  const stopListening = sink.onGone(() => {
    if (call.committed) clock.body?.destroy(new UpstreamUnreachable('aborted', 'request aborted: the client left'));
  });
  try {
    return await exchange(a, upstream);
  } finally {
    clearTimeout(timer);
    stopListening();
  }
}

const attemptTimedOut = (budgetMs: number) => new UpstreamUnreachable('timeout', `upstream timed out (the attempt's ${budgetMs} ms ran out)`);

/** The adapter's native side for the client's format: its own format, or (OpenAI, Azure) the Responses API. */
function nativeApiFor(adapter: ProviderAdapter, call: RelayCall): NativeApi | undefined {
  if (call.format === 'responses') return adapter.responses;
  return call.format === adapter.nativeFormat ? adapter.native : undefined;
}

/** What this channel type cannot serve for this call, if anything (then the next channel is tried). */
function unsupportedBy(adapter: ProviderAdapter, call: RelayCall): string | undefined {
  switch (call.kind) {
    case 'chat':
      return undefined;
    case 'completions':
      return adapter.nativeFormat === 'openai' ? undefined : '/v1/completions';
    case 'embeddings':
      return adapter.buildEmbeddingsRequest ? undefined : '/v1/embeddings';
    default:
      return adapter.nativeFormat === 'openai' ? undefined : `/v1${EXTRA_PATHS[call.kind]}`;
  }
}

async function buildRequest(a: Attempt): Promise<UpstreamRequest> {
  const { call, adapter, choice } = a;
  const target: UpstreamTarget = { baseUrl: choice.channel.baseUrl, key: choice.key, model: choice.upstreamModel, config: choice.channel.config };
  // We always ask OpenAI-format upstreams for usage in streams; the client's own choice decides what it sees.
  const withUsage = (body: Record<string, unknown>) =>
    call.stream ? withFields(body, { stream_options: withFields((body.stream_options as object | null | undefined) ?? {}, { include_usage: true }) }) : body;
  // The output limit the reservation pays for, when the upstream must be told it (billing/allowance.ts).
  const limit = call.output?.enforce ? call.output.perChoice : undefined;

  switch (call.kind) {
    case 'chat': {
      if (a.native) {
        let body = call.format === 'openai' ? withUsage(call.body) : call.body;
        if (limit !== undefined) body = a.api!.limitOutput(body, limit, target.model);
        const req = a.api!.buildRequest(body, target, call.stream);
        for (const name in call.forwardHeaders) req.headers[name] = call.forwardHeaders[name]!;
        return req;
      }
      let chat = call.chat!;
      if (adapter.requiresInlineImages) chat = await a.deps.inlineImages(chat, a.sink.signal);
      if (limit !== undefined) chat = withOutputLimit(chat, limit, 'max_tokens');
      const streaming: Partial<ChatRequest> = call.stream ? { stream: true, stream_options: { include_usage: true } } : { stream: false };
      return adapter.buildChatRequest(withFields(chat, streaming) as ChatRequest, target);
    }
    case 'completions': {
      // Legacy completions know one limit field, max_tokens.
      const body = limit !== undefined ? withFields(call.body, { max_tokens: limit }) : call.body;
      const req = adapter.native.buildRequest(withUsage(body), target, call.stream);
      return { ...req, url: req.url.replace(/\/chat\/completions(?=\?|$)/, '/completions') };
    }
    case 'embeddings':
      return adapter.buildEmbeddingsRequest!(call.body, target);
    default: {
      // The chat request gives the channel's URL layout and auth headers; only the path and body differ.
      const base = adapter.native.buildRequest({ model: target.model }, target, false);
      const url = base.url.replace(/\/chat\/completions(?=\?|$)/, EXTRA_PATHS[call.kind]);
      if (call.form) {
        // The npm undici that sends it only knows its own FormData class (not Node's built-in one). Its full index is
        // loaded here, at the first transcription, not at start.
        const { FormData: UndiciFormData } = await import('undici');
        const form = new UndiciFormData();
        for (const [name, value] of call.form) {
          if (typeof value === 'string') form.append(name, name === 'model' ? target.model : value);
          else form.append(name, value, value.name);
        }
        const { 'content-type': _json, ...headers } = base.headers;
        return { method: 'POST', url, headers, form };
      }
      return { method: 'POST', url, headers: base.headers, body: JSON.stringify(withFields(call.body, { model: target.model })) };
    }
  }
}

/** Sends the request and delivers the answer. */
async function exchange(a: Attempt, upstream: UpstreamRequest): Promise<AttemptResult> {
  const { clock } = a;
  let res: UpstreamResponse;
  try {
    res = await a.deps.forwarder.send(upstream, a.choice.channel.config, undefined, clock.budgetMs);
  } catch (err) {
    return unreachable(a, classify(err));
  }
  if (clock.timedOut) {
    res.body.destroy();
    return unreachable(a, attemptTimedOut(clock.budgetMs));
  }
  clock.body = res.body;

  if (res.status >= 300) {
    const info = a.adapter.parseError(res.status, await readText(res, 256 * 1024).catch(() => ''));
    return upstreamFailure(a, res.status, info);
  }
  let result: AttemptResult;
  try {
    result = a.call.stream ? await deliverStream(a, res) : await deliverWhole(a, res);
  } catch (err) {
    result = deliveryFailure(a, err);
  }
  if (result !== DONE) res.body.destroy();
  return result;
}

/**
 * The one place where a throw from delivering an answer becomes a result: the body could not be read (connection
 * lost, timed out, client gone), an adapter refused the answer (RelayError) or found an error object in a 200
 * (UpstreamStreamError); anything else an adapter threw on a strange answer counts as a failed upstream.
 */
function deliveryFailure(a: Attempt, err: unknown): AttemptFailure {
  if (err instanceof RelayError) return failed(err);
  if (err instanceof UpstreamStreamError) return upstreamFailure(a, 200, err.info);
  return unreachable(a, classify(err));
}

/** "We could not reach them" (or the client left). */
function unreachable(a: Attempt, err: UpstreamUnreachable): AttemptFailure {
  if (err.kind === 'aborted' && a.sink.gone) return failed(clientGone());
  if (err.kind === 'timeout' || err.kind === 'aborted') return retry(new RelayError('upstream_timeout', `upstream timed out: ${err.message}`), undefined, 'timeout');
  return retry(new RelayError('upstream_error', `upstream unreachable: ${err.message}`, 502), undefined, 'connection');
}

/**
 * A failure told in words that are the operator's business: an upstream's own text (keys scrubbed), or the channels
 * and why they are down. Who may read them is the pipeline's decision (publicError); `clientsToFix` marks an upstream
 * refusing the request itself (too long, a bad parameter), whose reason every caller needs.
 */
export class OperatorDetailError extends RelayError {
  constructor(
    code: 'upstream_error' | 'no_channel',
    message: string,
    status: number,
    details: Record<string, unknown>,
    readonly clientsToFix = false,
  ) {
    super(code, message, status, details);
  }
}

/**
 * "They said no": their message, marked as upstream, with a sensible status. Their text enters the relay here, so
 * every configured key and anything key-shaped is scrubbed from it here (an upstream may echo the key it was sent).
 */
function upstreamFailure(a: Attempt, status: number, raw: UpstreamErrorInfo): AttemptFailure {
  const secrets = a.deps.secrets();
  const info = { ...raw, message: scrubSecrets(raw.message, secrets) };
  const details = { upstream_status: status, ...(info.code ? { upstream_code: scrubSecrets(info.code, secrets) } : {}) };
  const refusal = (clientStatus: number) =>
    new OperatorDetailError('upstream_error', `upstream error (${a.adapter.type}): ${info.message}`, clientStatus, details, info.kind === 'bad_request');
  switch (info.kind) {
    case 'bad_request':
      return failed(refusal(status >= 400 && status < 500 && status !== 401 && status !== 403 ? status : 400));
    case 'rate_limited':
      return retry(refusal(429), undefined, 'rate_limited');
    case 'invalid_key':
    case 'no_credit':
      return retry(refusal(502), `${info.kind}: ${info.message}`);
    case 'overloaded':
      // Busy (503, Anthropic's 529, or an overloaded event inside a stream) stays "unavailable" for the client.
      return retry(refusal(status === 503 || status === 529 || status === 200 ? 503 : 502), undefined, status === 503 || status === 529 || status === 200 ? 'overloaded' : 'server_error');
    default:
      return status >= 500 ? retry(refusal(502), undefined, 'server_error') : failed(refusal(502));
  }
}

const filtered = (word: string) => new RelayError('content_filtered', `the completion was filtered: it contains the prohibited word "${word}"`);

/* ---------------------------------------------------------------- non-stream ---------------------------------- */

async function deliverWhole(a: Attempt, res: UpstreamResponse): Promise<AttemptResult> {
  const { call, adapter } = a;
  if (isOpenAIOnly(call.kind)) return deliverExtra(a, res);
  const text = await readText(res, MAX_RESPONSE_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return retry(new RelayError('upstream_error', `upstream (${adapter.type}) returned a body that is not JSON`, 502), undefined, 'server_error');
  }
  let out: string;
  let usage: Usage | undefined;
  let generated = '';
  if (call.kind !== 'chat') {
    const body = json as { usage?: Parameters<ProviderAdapter['usageOf']>[0]; choices?: Array<{ text?: string }> };
    usage = adapter.usageOf(body.usage);
    generated = (body.choices ?? []).map((c) => c.text ?? '').join('');
    out = text;
  } else if (a.api) {
    usage = a.api.usageOfResponse(json);
    generated = a.api.textOfResponse(json);
    const id = a.api.idOfResponse?.(json);
    if (id) call.upstreamId = id;
    out = text; // byte-faithful
  } else {
    const completion = adapter.parseChatResponse(json, streamContext(call));
    usage = adapter.usageOf(completion.usage);
    generated = choicesText(completion); // text, reasoning and tool calls: all generated tokens
    out = encodeCompletion(call, completion);
  }
  call.usage = usage;
  call.generated = generated;
  const word = a.deps.filter.checksCompletions ? a.deps.filter.find(generated) : null;
  if (word) return failed(filtered(word));
  // The answer is complete: no retry from here. The pipeline sends it with the charge recorded, so a client that
  // reads its balance right after the answer sees the charge.
  call.committed = true;
  call.firstByteAt = Date.now();
  call.pendingBody = { body: out, contentType: 'application/json; charset=utf-8' };
  return DONE;
}

/** Images, speech, transcriptions, moderations, rerank: the upstream's bytes and content type, as they came. */
async function deliverExtra(a: Attempt, res: UpstreamResponse): Promise<AttemptResult> {
  const { call } = a;
  const bytes = await readBytes(res, MAX_RESPONSE_BYTES);
  const contentType = String(res.headers['content-type'] ?? 'application/json');
  let json: Record<string, unknown> | undefined;
  if (contentType.includes('json')) {
    try {
      json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
  }
  const { usage, generated, local } = extraUsage(call, json, contentType.startsWith('text/') ? bytes.toString('utf8') : '');
  call.usage = usage;
  call.usageIsLocal = local;
  call.generated = generated;
  call.committed = true;
  call.firstByteAt = Date.now();
  call.pendingBody = { body: bytes, contentType };
  return DONE;
}

function streamContext(call: RelayCall): StreamContext {
  return { id: `chatcmpl-${call.id}`, created: Math.floor(call.startedAt / 1000), model: call.model };
}

/* ---------------------------------------------------------------- stream -------------------------------------- */

/** What one upstream event means, per mode. */
interface StreamStep {
  /** Text to send the client for it (possibly empty). */
  out: string;
  /** Text it generated (metered, and checked by the completion filter). */
  delta: string;
  /** It completes the stream. */
  ended: boolean;
  /** It closes the stream ([DONE], message_stop): held back until the call is settled. */
  closing?: boolean;
  /** The upstream reported an error in the stream (the event itself is not passed on). */
  upstreamError?: UpstreamErrorInfo;
}

interface StreamMode {
  onEvent(ev: SseEvent): StreamStep;
  /**
   * The stream's closing text (translated streams), the usage metered, and generated text its events did not give yet
   * (a native meter's unread events). `complete`: the stream ended as it should; then that text is read only when
   * billing reads it (readsGeneratedText in billed-usage.ts).
   */
  finish(complete: boolean): { out: string; usage: Usage | undefined; text: string };
}

async function deliverStream(a: Attempt, res: UpstreamResponse): Promise<AttemptResult> {
  const { call, sink, adapter } = a;
  const watch = a.deps.filter.checksCompletions ? a.deps.filter.watcher() : null;
  const mode = a.native || call.kind !== 'chat' ? nativeMode(a, watch !== null) : translatedMode(a);
  const reader = new SseReader();
  let ended = false;

  const send = async (text: string) => {
    if (!call.committed) {
      // The client left before the answer began: nobody to write to, but the upstream has the call. It is read to its
      // end (within the attempt's time) and billed on the upstream's own usage.
      if (sink.gone) return;
      call.committed = true;
      call.firstByteAt = Date.now();
      sink.start();
    }
    await sink.write(text);
  };

  // Everything one upstream chunk produced goes to the client in one write (one syscall), as a plain proxy would. An
  // event that stops the stream still lets what came before it in the chunk go out first (unless it is filtered text).
  // Returns how the stream stopped early, if it did.
  const handle = async (events: SseEvent[]): Promise<AttemptResult | undefined> => {
    let out = '';
    let stop: AttemptResult | undefined;
    for (const ev of events) {
      const step = mode.onEvent(ev);
      if (step.upstreamError) {
        const failure = upstreamFailure(a, 200, step.upstreamError);
        // Before anything went out, an error event is like an error status: another channel may be tried.
        if (!call.committed && out === '') return failure;
        // After it, the stream ends with the relay's own error event in the client's format (written after settle):
        // never the upstream's text as it came, which may carry a key.
        stop = failed(failure.error, failure.fault);
        break;
      }
      ended ||= step.ended;
      if (step.delta) {
        call.generated += step.delta;
        const word = watch?.(step.delta);
        if (word) return failed(filtered(word)); // nothing of this chunk goes out
      }
      if (step.closing) call.pendingTail = (call.pendingTail ?? '') + step.out;
      else out += step.out;
    }
    if (out) await send(out);
    return stop;
  };

  let stop: AttemptResult | undefined;
  try {
    for await (const chunk of res.body) if ((stop = await handle(reader.push(chunk as Buffer)))) break;
    stop ??= await handle(reader.end());
  } catch (err) {
    // The client went away (a write failed), or the upstream connection failed or timed out.
    stop = err instanceof RelayError ? failed(err) : streamLost(a, err);
  }
  if (stop) {
    const { usage, text } = mode.finish(false); // what streamed is billed
    call.usage = usage;
    call.generated += text;
    return stop;
  }
  const { out, usage, text } = mode.finish(ended);
  call.usage = usage;
  call.generated += text;
  if (!call.committed && !ended && !out) {
    return retry(new RelayError('upstream_error', `upstream (${adapter.type}) closed the stream without sending anything`, 502), undefined, 'server_error');
  }
  // What finish() adds (the closing chunks) goes out with the held tail, after settle.
  if (out) call.pendingTail = out + (call.pendingTail ?? '');
  if (!ended) return failed(new RelayError('upstream_error', `upstream (${adapter.type}) closed the stream before it finished`, 502));
  return DONE; // the pipeline ends the stream after settling (see deliverWhole)
}

/** The connection failed mid-stream: before the first byte like any unreachable upstream; after it, a stream cut short. */
function streamLost(a: Attempt, err: unknown): AttemptFailure {
  const result = unreachable(a, classify(err));
  if (!a.call.committed || result.outcome !== 'retry') return result;
  const { code, message, status } = result.error;
  return failed(new RelayError(code, `upstream (${a.adapter.type}) closed the stream before it finished: ${message}`, status), result.fault);
}

/**
 * Pass-through: every event is forwarded as it came (OpenAI's usage chunk is dropped unless the client asked).
 * `watching`: the completion filter reads each event's text as it comes, so none is left unread.
 */
function nativeMode(a: Attempt, watching: boolean): StreamMode {
  const meter = (a.api ?? a.adapter.native).createStreamMeter();
  const unread = () => meter.unreadText?.() ?? '';
  const { call } = a;
  return {
    onEvent(ev) {
      const event = meter.push(ev);
      if (event.id !== undefined) call.upstreamId = event.id;
      if (event.error) return { out: '', delta: '', ended: false, upstreamError: event.error };
      if (event.sequence !== undefined) call.sequence = event.sequence; // the last number the client saw
      const out = event.usageOnly && !call.clientWantsUsage ? '' : encodeSse(ev);
      return { out, delta: watching ? event.delta + unread() : event.delta, ended: event.ended, closing: event.closing };
    },
    finish(complete) {
      const usage = meter.usage();
      return { out: '', usage, text: readsGeneratedText(usage, complete) ? unread() : '' };
    },
  };
}

/** Translation: upstream events → canonical chunks → the client's format. */
function translatedMode(a: Attempt): StreamMode {
  const { call } = a;
  const translator = a.adapter.createChatStream(streamContext(call));
  const encoder = streamEncoderFor(call);
  let finished = false;
  const encode = (chunks: ChatCompletionChunk[]): StreamStep => {
    let out = '';
    let delta = '';
    let ended = false;
    for (const c of chunks) {
      for (const choice of c.choices) {
        delta += messageText(choice.delta); // text, reasoning and tool-call arguments: all generated tokens
        if (choice.finish_reason) ended = true;
      }
      out += encoder.encode(c);
    }
    if (encoder.sequence !== undefined) call.sequence = encoder.sequence;
    return { out, delta, ended };
  };
  return {
    onEvent(ev) {
      let chunks: ChatCompletionChunk[];
      try {
        chunks = translator.push(ev);
      } catch (err) {
        if (err instanceof UpstreamStreamError) return { out: '', delta: '', ended: false, upstreamError: err.info };
        throw err;
      }
      return encode(chunks);
    },
    finish() {
      if (finished) return { out: '', usage: undefined, text: '' };
      finished = true;
      const { chunks, usage } = translator.finish();
      const { out, delta } = encode(chunks);
      return { out: out + encoder.finish(usage), usage, text: delta };
    },
  };
}
