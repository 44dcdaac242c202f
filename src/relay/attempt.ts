// One upstream attempt: build the provider request, send it, and deliver the answer to the sink — as is when the client
// speaks the channel's own format (native pass-through), translated through the canonical format otherwise — while
// metering what was generated. A failure before any byte reached the client is an AttemptError that says whether the
// next channel may be tried; after that, the stream is failed in place and billed for what it carried.
import { RelayError } from '../errors.js';
import type {
  ChatCompletionChunk,
  ChatRequest,
  ProviderAdapter,
  SseEvent,
  StreamContext,
  UpstreamErrorInfo,
  UpstreamRequest,
  UpstreamTarget,
  Usage,
} from '../providers/types.js';
import { UpstreamStreamError } from '../providers/types.js';
import { FormData as UndiciFormData } from 'undici';
import type { RelayCall } from './call.js';
import type { RouteChoice } from './channels.js';
import type { ResponseSink } from './sink.js';
import type { ContentFilter } from './content-filter.js';
import { DEFAULT_TOTAL_TIMEOUT_MS, classify, readBytes, readText, UpstreamUnreachable, type Forwarder, type UpstreamResponse } from './forward.js';
import { SseReader, encodeSse } from './sse.js';
import type { StreamEncoder } from './inbound/types.js';
import { EXTRA_PATHS, extraUsage, isOpenAIOnly } from './extra-endpoints.js';

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
}

export class AttemptError extends Error {
  override name = 'AttemptError';
  constructor(
    readonly error: RelayError,
    /** Another channel may be tried (nothing reached the client, and the failure is the upstream's). */
    readonly retriable: boolean,
    /** The upstream says this key is invalid or out of credit: disable it. */
    readonly disableReason?: string,
  ) {
    super(error.message);
  }
}

export async function attempt(deps: AttemptDeps, call: RelayCall, choice: RouteChoice, sink: ResponseSink): Promise<void> {
  const adapter = deps.adapterFor(choice.channel.type);
  if (!adapter) {
    throw new AttemptError(new RelayError('no_channel', `channel ${choice.channel.id} has unknown type ${choice.channel.type}`), true);
  }
  const target: UpstreamTarget = { baseUrl: choice.channel.baseUrl, key: choice.key, model: choice.upstreamModel, config: choice.channel.config };
  const native = call.format === adapter.nativeFormat;
  const upstream = await buildRequest(deps, adapter, call, target, native, sink.signal);

  const left = call.startedAt + deps.maxCallMs - Date.now();
  if (left <= 0) throw new AttemptError(new RelayError('upstream_timeout', 'the call ran out of time before this attempt'), false);
  // The attempt's time limit without an AbortController of its own (the client's signal is the only one undici gets):
  // before the response head, undici's headers timeout is cut to the time left; after it, a timer destroys the body.
  const budgetMs = Math.min(choice.channel.config.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS, left);
  const clock: AttemptClock = { budgetMs, body: undefined, timedOut: false };
  const timer = setTimeout(() => {
    clock.timedOut = true;
    clock.body?.destroy(attemptTimedOut(budgetMs));
  }, budgetMs);
  try {
    await send(deps, adapter, call, choice, upstream, native, clock, sink);
  } finally {
    clearTimeout(timer);
  }
}

const attemptTimedOut = (budgetMs: number) => new UpstreamUnreachable('timeout', `upstream timed out (the attempt's ${budgetMs} ms ran out)`);

/** One attempt's time limit, and the body its timer cuts off when it runs out. */
interface AttemptClock {
  budgetMs: number;
  body: UpstreamResponse['body'] | undefined;
  timedOut: boolean;
}

async function send(
  deps: AttemptDeps,
  adapter: ProviderAdapter,
  call: RelayCall,
  choice: RouteChoice,
  upstream: UpstreamRequest,
  native: boolean,
  clock: AttemptClock,
  sink: ResponseSink,
): Promise<void> {
  let res: UpstreamResponse;
  try {
    res = await deps.forwarder.send(upstream, choice.channel.config, sink.signal, clock.budgetMs);
  } catch (err) {
    throw unreachable(classify(err, sink.signal), sink);
  }
  if (clock.timedOut) {
    res.body.destroy();
    throw unreachable(attemptTimedOut(clock.budgetMs), sink);
  }
  clock.body = res.body;

  if (res.status >= 300) {
    const info = adapter.parseError(res.status, await readText(res, 256 * 1024).catch(() => ''));
    throw upstreamFailure(adapter, res.status, info);
  }

  const ctx: StreamContext = { id: `chatcmpl-${call.id}`, created: Math.floor(call.startedAt / 1000), model: call.model };
  try {
    if (!call.stream) await deliverWhole(deps, adapter, call, res, native, ctx, sink);
    else await deliverStream(deps, adapter, call, res, native, ctx, sink);
  } catch (err) {
    res.body.destroy();
    throw err instanceof StreamFailed ? err : toFailure(err, adapter, sink);
  }
}

/** Any error during delivery → what it means for this attempt (retriable or not) or for the call. */
function toFailure(err: unknown, adapter: ProviderAdapter, sink: ResponseSink): AttemptError | RelayError {
  if (err instanceof AttemptError || err instanceof RelayError) return err;
  if (err instanceof UpstreamStreamError) return upstreamFailure(adapter, 200, err.info);
  return unreachable(classify(err, sink.signal), sink);
}

async function buildRequest(
  deps: AttemptDeps,
  adapter: ProviderAdapter,
  call: RelayCall,
  target: UpstreamTarget,
  native: boolean,
  signal: AbortSignal,
): Promise<UpstreamRequest> {
  const unsupported = (what: string) =>
    new AttemptError(new RelayError('no_channel', `channel type ${adapter.type} does not support ${what}`), true);
  // We always ask OpenAI-format upstreams for usage in streams; the client's own choice decides what it sees.
  const withUsage = (body: Record<string, unknown>) =>
    call.stream ? { ...body, stream_options: { ...(body.stream_options as object | undefined), include_usage: true } } : body;

  switch (call.kind) {
    case 'chat': {
      if (native) {
        const req = adapter.native.buildRequest(call.format === 'openai' ? withUsage(call.body) : call.body, target, call.stream);
        return { ...req, headers: { ...req.headers, ...call.forwardHeaders } };
      }
      let chat = call.chat!;
      if (adapter.requiresInlineImages) chat = await deps.inlineImages(chat, signal);
      return adapter.buildChatRequest({ ...chat, stream: call.stream, ...(call.stream ? { stream_options: { include_usage: true } } : {}) }, target);
    }
    case 'completions': {
      if (adapter.nativeFormat !== 'openai') throw unsupported('/v1/completions');
      const req = adapter.native.buildRequest(withUsage(call.body), target, call.stream);
      return { ...req, url: req.url.replace(/\/chat\/completions(?=\?|$)/, '/completions') };
    }
    case 'embeddings': {
      if (!adapter.buildEmbeddingsRequest) throw unsupported('/v1/embeddings');
      return adapter.buildEmbeddingsRequest(call.body, target);
    }
    default: {
      const path = EXTRA_PATHS[call.kind];
      if (adapter.nativeFormat !== 'openai') throw unsupported(`/v1${path}`);
      // The chat request gives the channel's URL layout and auth headers; only the path and body differ.
      const base = adapter.native.buildRequest({ model: target.model }, target, false);
      const url = base.url.replace(/\/chat\/completions(?=\?|$)/, path);
      if (call.form) {
        // The npm undici that sends it only knows its own FormData class (not Node's built-in one).
        const form = new UndiciFormData();
        for (const [name, value] of call.form) {
          if (typeof value === 'string') form.append(name, name === 'model' ? target.model : value);
          else form.append(name, value, value.name);
        }
        const { 'content-type': _json, ...headers } = base.headers;
        return { method: 'POST', url, headers, form };
      }
      return { method: 'POST', url, headers: base.headers, body: JSON.stringify({ ...call.body, model: target.model }) };
    }
  }
}

function unreachable(err: UpstreamUnreachable, sink: ResponseSink): AttemptError | RelayError {
  if (err.kind === 'aborted' && sink.signal.aborted) {
    return new RelayError('invalid_request', 'client closed the connection', 499);
  }
  if (err.kind === 'timeout' || err.kind === 'aborted') {
    return new AttemptError(new RelayError('upstream_timeout', `upstream timed out: ${err.message}`), true);
  }
  return new AttemptError(new RelayError('upstream_error', `upstream unreachable: ${err.message}`, 502), true);
}

/** "They said no": pass their message on, marked as upstream, with a sensible status. */
function upstreamFailure(adapter: ProviderAdapter, status: number, info: UpstreamErrorInfo): AttemptError {
  const details = { upstream_status: status, ...(info.code ? { upstream_code: info.code } : {}) };
  const message = `upstream error (${adapter.type}): ${info.message}`;
  switch (info.kind) {
    case 'bad_request': {
      const clientStatus = status >= 400 && status < 500 && status !== 401 && status !== 403 ? status : 400;
      return new AttemptError(new RelayError('upstream_error', message, clientStatus, details), false);
    }
    case 'rate_limited':
      return new AttemptError(new RelayError('upstream_error', message, 429, details), true);
    case 'invalid_key':
    case 'no_credit':
      return new AttemptError(new RelayError('upstream_error', message, 502, details), true, `${info.kind}: ${info.message}`);
    case 'overloaded':
      return new AttemptError(new RelayError('upstream_error', message, status === 503 ? 503 : 502, details), true);
    default:
      return new AttemptError(new RelayError('upstream_error', message, 502, details), status >= 500);
  }
}

/* ---------------------------------------------------------------- non-stream ---------------------------------- */

async function deliverWhole(
  deps: AttemptDeps,
  adapter: ProviderAdapter,
  call: RelayCall,
  res: UpstreamResponse,
  native: boolean,
  ctx: StreamContext,
  sink: ResponseSink,
): Promise<void> {
  if (isOpenAIOnly(call.kind)) return deliverExtra(call, res);
  const text = await readText(res, MAX_RESPONSE_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AttemptError(new RelayError('upstream_error', `upstream (${adapter.type}) returned a body that is not JSON`, 502), true);
  }
  let out: string;
  let usage: Usage | undefined;
  let generated = '';
  if (call.kind !== 'chat') {
    const body = json as { usage?: Parameters<ProviderAdapter['usageOf']>[0]; choices?: Array<{ text?: string }> };
    usage = adapter.usageOf(body.usage);
    generated = (body.choices ?? []).map((c) => c.text ?? '').join('');
    out = text;
  } else if (native) {
    usage = adapter.native.usageOfResponse(json);
    generated = adapter.native.textOfResponse(json);
    out = text; // byte-faithful
  } else {
    const completion = adapter.parseChatResponse(json, ctx);
    usage = adapter.usageOf(completion.usage);
    generated = completion.choices.map((c) => (typeof c.message.content === 'string' ? c.message.content : '')).join('');
    out = JSON.stringify(call.format === 'openai' ? completion : call.inbound!.fromChatCompletion(completion, call.model));
  }
  call.usage = usage;
  call.generated = generated;
  if (deps.filter.checksCompletions) {
    const word = deps.filter.find(generated);
    if (word) throw new RelayError('content_filtered', `the completion was filtered: it contains the prohibited word "${word}"`);
  }
  // The answer is complete: no retry from here. The pipeline sends it once the charge is recorded, so a client that
  // reads its balance right after the answer sees the charge.
  call.committed = true;
  call.firstByteAt = Date.now();
  call.pendingBody = { body: out, contentType: 'application/json; charset=utf-8' };
}

/** Images, speech, transcriptions, moderations, rerank: the upstream's bytes and content type, as they came. */
async function deliverExtra(call: RelayCall, res: UpstreamResponse): Promise<void> {
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
  const { usage, generated } = extraUsage(call, json, contentType.startsWith('text/') ? bytes.toString('utf8') : '');
  call.usage = usage;
  call.generated = generated;
  call.committed = true;
  call.firstByteAt = Date.now();
  call.pendingBody = { body: bytes, contentType };
}

/* ---------------------------------------------------------------- stream -------------------------------------- */

/** Per-mode handling of one upstream event: returns the text to send (possibly empty) and the text it generated. */
interface StreamMode {
  /** `terminal`: the event closes the stream ([DONE], message_stop); it is held back until the call is settled. */
  onEvent(ev: SseEvent): { out: string; delta: string; ended: boolean; terminal?: boolean; upstreamError?: UpstreamErrorInfo };
  finish(): { out: string; usage: Usage | undefined };
}

async function deliverStream(
  deps: AttemptDeps,
  adapter: ProviderAdapter,
  call: RelayCall,
  res: UpstreamResponse,
  native: boolean,
  ctx: StreamContext,
  sink: ResponseSink,
): Promise<void> {
  const mode = native || call.kind !== 'chat' ? nativeMode(adapter, call) : translatedMode(adapter, call, ctx);
  const watch = deps.filter.checksCompletions ? deps.filter.watcher() : null;
  const reader = new SseReader();
  let ended = false;

  // Everything one upstream chunk produced goes to the client in one write (one syscall), as a plain proxy would. An
  // error part-way through the chunk still lets what came before it go out first (unless it is filtered text).
  const handle = async (events: SseEvent[]) => {
    let out = '';
    let failure: unknown;
    for (const ev of events) {
      try {
        out += onEvent(ev, out === '');
      } catch (err) {
        failure = err;
        if (err instanceof NativeErrorEvent) out += err.passThrough;
        break;
      }
    }
    if (out && !(failure instanceof RelayError && failure.code === 'content_filtered')) await send(out);
    if (failure) throw failure;
  };
  /** One upstream event: the text to send for it (terminal events are held until settle). */
  const onEvent = (ev: SseEvent, nothingPending: boolean): string => {
    const step = mode.onEvent(ev);
    if (step.upstreamError) {
      // Before any byte went out, an error event is like an error status: another channel may be tried.
      if (!call.committed && nothingPending) throw new UpstreamStreamError(step.upstreamError);
      throw new NativeErrorEvent(step.upstreamError, step.out);
    }
    ended ||= step.ended;
    if (step.delta) {
      call.generated += step.delta;
      const word = watch?.(step.delta);
      if (word) throw new RelayError('content_filtered', `the completion was filtered: it contains the prohibited word "${word}"`);
    }
    if (!step.terminal) return step.out;
    call.pendingTail = (call.pendingTail ?? '') + step.out;
    return '';
  };
  const send = async (text: string) => {
    if (!call.committed) {
      call.committed = true;
      call.firstByteAt = Date.now();
      sink.start();
    }
    await sink.write(text);
  };

  try {
    for await (const chunk of res.body) await handle(reader.push(chunk as Buffer));
    await handle(reader.end());
  } catch (err) {
    // Meter what we have; once bytes reached the client the error goes in-stream and the pipeline bills what streamed.
    call.usage = mode.finish().usage;
    const failure = toFailure(err, adapter, sink);
    if (!call.committed) throw failure;
    // A lost connection after bytes went out is a stream cut short, and the client should read it as such; an error the
    // upstream itself reported keeps its own words.
    const relayErr =
      failure instanceof AttemptError && !(err instanceof UpstreamStreamError)
        ? new RelayError(failure.error.code, `upstream (${adapter.type}) closed the stream before it finished: ${failure.error.message}`, failure.error.status)
        : failure instanceof AttemptError
          ? failure.error
          : failure;
    throw new StreamFailed(relayErr, err instanceof NativeErrorEvent);
  }
  const { out, usage } = mode.finish();
  call.usage = usage;
  if (!call.committed && !ended && !out) {
    throw new AttemptError(new RelayError('upstream_error', `upstream (${adapter.type}) closed the stream without sending anything`, 502), true);
  }
  // What finish() adds (the closing chunks) goes out with the held tail, after settle.
  if (out) call.pendingTail = out + (call.pendingTail ?? '');
  if (!ended) {
    throw new StreamFailed(new RelayError('upstream_error', `upstream (${adapter.type}) closed the stream before it finished`, 502));
  }
  // The pipeline ends the stream after settling (see deliverWhole).
}

/**
 * A stream that failed after bytes reached the client: the pipeline bills it, then ends it with the error as an in-stream
 * event (unless the upstream's own error event was already passed through: `told`).
 */
export class StreamFailed extends Error {
  override name = 'StreamFailed';
  constructor(
    readonly error: RelayError,
    readonly told = false,
  ) {
    super(error.message);
  }
}

/** Pass-through: every event is forwarded as it came (OpenAI's usage chunk is dropped unless the client asked). */
function nativeMode(adapter: ProviderAdapter, call: RelayCall): StreamMode {
  const meter = adapter.native.createStreamMeter();
  return {
    onEvent(ev) {
      const event = meter.push(ev);
      if (event.error) return { out: encodeSse(ev), delta: '', ended: false, upstreamError: event.error };
      const out = event.usageOnly && !call.clientWantsUsage ? '' : encodeSse(ev);
      return { out, delta: event.delta, ended: event.ended, terminal: event.closing };
    },
    finish: () => ({ out: '', usage: meter.usage() }),
  };
}

/** The upstream's own in-stream error event (passed through to a native client as it came). */
class NativeErrorEvent extends UpstreamStreamError {
  constructor(
    info: UpstreamErrorInfo,
    /** The event as the client will read it. */
    readonly passThrough: string,
  ) {
    super(info);
  }
}

/** Translation: upstream events → canonical chunks → the client's format. */
function translatedMode(adapter: ProviderAdapter, call: RelayCall, ctx: StreamContext): StreamMode {
  const translator = adapter.createChatStream(ctx);
  const encoder: StreamEncoder | undefined = call.format === 'openai' ? undefined : call.inbound!.createStreamEncoder(call.model);
  let finished = false;
  const encode = (chunks: ChatCompletionChunk[]): { out: string; delta: string; end: boolean } => {
    let out = '';
    let delta = '';
    let end = false;
    for (const c of chunks) {
      for (const choice of c.choices) {
        if (typeof choice.delta.content === 'string') delta += choice.delta.content;
        if (choice.finish_reason) end = true;
      }
      if (encoder) out += encoder.encode(c);
      else if (c.choices.length > 0 || call.clientWantsUsage) out += `data: ${JSON.stringify(c)}\n\n`;
    }
    return { out, delta, end };
  };
  return {
    onEvent(ev) {
      const { out, delta, end } = encode(translator.push(ev));
      return { out, delta, ended: end };
    },
    finish() {
      if (finished) return { out: '', usage: undefined };
      finished = true;
      const { chunks, usage } = translator.finish();
      const { out } = encode(chunks);
      return { out: out + (encoder ? encoder.finish(usage) : 'data: [DONE]\n\n'), usage };
    },
  };
}
