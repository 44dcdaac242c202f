// The relay, assembled: caches, pricing, ledger, forwarder and the pipeline, plus the in-process chat function the
// bots use and the background jobs (hold sweeper, channel re-test). Built once per process.
import { newRequestId } from './request-id.js';
import { EventEmitter } from 'node:events';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors.js';
import { Pricing } from '../billing/pricing.js';
import { createLedger } from '../billing/ledger-factory.js';
import type { Ledger } from '../billing/ledger.js';
import { adapterFor } from '../providers/registry.js';
import type { ChatRequest } from '../providers/types.js';
import { TokenAuth } from './token-auth.js';
import { GroupDirectory } from './groups.js';
import { ChannelRouter, usableKeys, type Random, type RouteChoice } from './channels.js';
import { closeBreaker, disableKey, openBreaker, saveBreakerCounts, type BreakerTarget } from '../services/channel-repository.js';
import { ChannelHealth, probeResult, type Incident } from './breaker.js';
import { postWebhook, type ChannelIncident } from './alerts.js';
import { redactSecrets } from '../auth/redact.js';
import { isAdminRole } from '../services/permissions.js';
import { ContentFilter } from './content-filter.js';
import { Forwarder } from './forward.js';
import { inlineImages } from './inline-images.js';
import { needsRetest, testChannel } from './channel-test.js';
import type { AddressPolicy } from '../net/safe-fetch.js';
import { admit, type AdmitDeps } from './admit.js';
import { runCall, type CallOutcome, type PipelineDeps } from './pipeline.js';
import { newCall, type CallKind, type ClientFormat, type Payer, type RelayCall } from './call.js';
import { TextSink, type ResponseSink } from './sink.js';
import type { InboundFormat } from './inbound/types.js';
import type { ChatCallInput, ChatCallResult } from './chat.js';
import { RelayRateLimiter } from './rate-limits.js';
import { ResponseAffinity } from './response-affinity.js';

/** One per incident: a key the relay disabled, or a key-less channel; `channelDisabled` when the whole channel went. */
export interface ChannelDisabledEvent {
  channelId: number;
  channelName: string;
  /** The disabled key's id; null when a key-less channel was disabled. */
  keyId: number | null;
  /** The whole channel is now disabled (not just one of its keys): exactly one event says so per incident. */
  channelDisabled: boolean;
  reason: string;
}

export interface RelayEvents {
  'channel-disabled': [ChannelDisabledEvent];
  /** A key or channel cooled down, disabled or recovered: once per incident across instances (relay/alerts.ts). */
  'channel-incident': [ChannelIncident];
}

export interface CallRequest {
  /** The request id (x-request-id, usage log); generated when absent. */
  id?: string;
  endpoint: string;
  kind: CallKind;
  format: ClientFormat;
  payer: Payer;
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
  chat?: ChatRequest;
  inbound?: InboundFormat;
  clientWantsUsage?: boolean;
  forwardHeaders?: Record<string, string>;
  form?: FormData;
  conversation?: number;
  untranslatable?: string;
  pinned?: RelayCall['pinned'];
  unseenPrompt?: number;
}

export class RelayService {
  readonly tokens: TokenAuth;
  readonly groups: GroupDirectory;
  readonly channels: ChannelRouter;
  readonly pricing: Pricing;
  readonly ledger: Ledger;
  readonly filter: ContentFilter;
  readonly forwarder: Forwarder;
  readonly rateLimits: RelayRateLimiter;
  readonly health: ChannelHealth;
  /** Where stored Responses API responses live (channel and key), for follow-ups and GET/DELETE/cancel. */
  readonly affinity: ResponseAffinity;
  readonly events = new EventEmitter<RelayEvents>();
  readonly #deps: PipelineDeps;
  readonly #admitDeps: AdmitDeps;
  #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: {
      imageAddressPolicy?: AddressPolicy;
      /** The router's random source (tests make routing deterministic). */
      random?: Random;
      /** Which addresses the alert webhook may reach (default: public only; tests allow loopback). */
      webhookAddressPolicy?: AddressPolicy;
      /** The circuit breaker's clock (tests move it past a cooldown instead of waiting). */
      clock?: () => number;
    } = {},
  ) {
    this.tokens = new TokenAuth(ctx.db, ctx.bus);
    this.groups = new GroupDirectory(ctx.db, ctx.bus);
    this.channels = new ChannelRouter(ctx, opts.random);
    this.pricing = new Pricing(ctx.options);
    this.ledger = createLedger(ctx.db, ctx.bus);
    this.filter = new ContentFilter(ctx.options);
    this.forwarder = new Forwarder();
    this.rateLimits = new RelayRateLimiter(
      ctx.rateLimits,
      ctx.config.holdTtlMs,
      (err) => ctx.log.error({ err }, 'rate limit store failed; call let through'),
      (limit) => ctx.metrics.rateLimited(limit),
    );
    // Metrics label models by name only when they have a price: model names come from clients.
    const priced = () => ctx.metrics.setPricedModels(this.pricing.pricedModels());
    priced();
    ctx.options.onChange(priced);
    this.health = new ChannelHealth(
      () => {
        const o = ctx.options.current;
        return { threshold: o.breakerThreshold, baseCooldownMs: o.breakerCooldownSeconds * 1000, maxCooldownMs: o.breakerMaxCooldownSeconds * 1000, faults: o.breakerFaults };
      },
      {
        open: (target, state) => openBreaker(ctx, target, state),
        close: (target) => closeBreaker(ctx, target),
        saveCounts: (rows) => saveBreakerCounts(ctx, rows),
      },
      (incident) => this.#onBreakerIncident(incident),
      (err) => ctx.log.error({ err }, 'could not save channel health'),
      opts.clock,
    );
    this.channels.health = this.health;
    this.affinity = new ResponseAffinity(ctx.db);
    this.#deps = {
      forwarder: this.forwarder,
      filter: this.filter,
      adapterFor,
      maxCallMs: ctx.config.holdTtlMs - 30_000,
      inlineImages: (req, signal) => inlineImages(req, signal, opts.imageAddressPolicy),
      secrets: () => this.channels.secrets(),
      channels: this.channels,
      ledger: this.ledger,
      options: ctx.options,
      log: ctx.log,
      disableChannel: (choice, reason) => this.disableChannel(choice, reason),
      rateLimits: this.rateLimits,
      attempted: (choice, result, ms) => this.health.record({ channelId: choice.channel.id, keyId: choice.keyId }, breakerRowOf(choice), result, ms),
      remember: (call) => this.affinity.remember(call),
    };
    this.#admitDeps = { ...this.#deps, groups: this.groups, pricing: this.pricing, options: ctx.options };
  }

  /** Admit (checks + reservation) and run one call. Throws RelayError for refusals before anything was reserved. */
  async execute(req: CallRequest, sink: ResponseSink): Promise<CallOutcome> {
    const call: RelayCall = newCall({
      id: req.id ?? newRequestId(),
      startedAt: Date.now(),
      endpoint: req.endpoint,
      kind: req.kind,
      format: req.format,
      payer: req.payer,
      model: req.model,
      stream: req.stream,
      body: req.body,
      chat: req.chat,
      inbound: req.inbound,
      clientWantsUsage: req.clientWantsUsage ?? false,
      forwardHeaders: req.forwardHeaders ?? {},
      form: req.form,
      conversation: req.conversation, // no conditional spread: in mid-literal V8 builds the object on a slow path
      untranslatable: req.untranslatable,
      pinned: req.pinned,
      unseenPrompt: req.unseenPrompt,
    });
    const metrics = this.ctx.metrics;
    try {
      await admit(this.#admitDeps, call);
    } catch (err) {
      if (err instanceof RelayError) metrics.refused(call, err);
      throw err;
    }
    metrics.reservationOpened();
    let outcome: CallOutcome;
    try {
      outcome = await runCall(this.#deps, call, sink);
    } finally {
      metrics.reservationClosed();
    }
    metrics.finished(call, outcome);
    return outcome;
  }

  /** The bots' chat: the same pipeline, billed to the account (no token), its text streamed through onDelta. */
  async chat(input: ChatCallInput): Promise<ChatCallResult> {
    const user = await this.ctx.db.prisma.user.findUnique({ where: { id: input.userId } });
    if (!user) throw new RelayError('invalid_key', 'this chat account no longer exists');
    if (user.status !== 'enabled') throw new RelayError('account_disabled', 'this account is disabled');
    const chat: ChatRequest = {
      model: input.model,
      messages: input.messages,
      stream: true,
      ...(input.maxTokens ? { max_tokens: input.maxTokens } : {}),
    };
    const sink = new TextSink(input.signal ?? new AbortController().signal, input.onDelta);
    const outcome = await this.execute(
      {
        endpoint: input.purpose === 'title' ? 'bot:title' : 'bot:chat',
        kind: 'chat',
        format: 'text',
        payer: { userId: user.id, token: null, group: user.group, source: input.source, admin: isAdminRole(user.role) },
        model: input.model,
        stream: true,
        body: chat as unknown as Record<string, unknown>,
        chat,
        clientWantsUsage: false,
        ...(input.conversationId !== undefined ? { conversation: input.conversationId } : {}),
      },
      sink,
    );
    if (outcome.error) throw outcome.error;
    return { text: sink.text, model: input.model, usage: outcome.usage, quota: outcome.charged };
  }

  /**
   * The upstream says the key is invalid or out of credit: disable it (the channel too when it was its last usable key),
   * tell every instance and the admins. Concurrent failures of one channel are decided in the repository, one by one.
   */
  async disableChannel(choice: RouteChoice, reason: string): Promise<void> {
    const { channel, keyId } = choice;
    const { keyDisabled, channelDisabled } = await disableKey(this.ctx, channel.id, keyId, reason);
    if (!keyDisabled && !channelDisabled) return; // already done by another call or instance, or the key is gone
    this.ctx.log.warn({ channel: channel.id, keyId, channelDisabled, reason }, channelDisabled ? 'channel auto-disabled' : 'channel key auto-disabled');
    this.events.emit('channel-disabled', { channelId: channel.id, channelName: channel.name, keyId, channelDisabled, reason });
    const key = channel.keys.find((k) => k.id === keyId);
    this.#announce({
      kind: 'disabled',
      channelId: channel.id,
      channelName: channel.name,
      keyId,
      keyMask: key?.mask ?? null,
      channelOut: channelDisabled,
      // Classified first ("invalid_key"), then the upstream's words, already scrubbed when recorded.
      reason: redactSecrets(reason).slice(0, 300),
      at: new Date().toISOString(),
    });
  }

  /** A breaker opened or closed on this instance, and this instance's write started or ended the incident. */
  #onBreakerIncident(incident: Incident): void {
    const { channelId, keyId } = incident.target;
    const channel = this.channels.channels.find((c) => c.id === channelId);
    const key = channel?.keys.find((k) => k.id === keyId);
    const others = channel ? usableKeys(channel).filter((k) => k.id !== keyId) : [];
    const channelOut =
      incident.kind === 'cooled' && others.every((k) => this.health.state({ channelId, keyId: k.id }, k.breaker) === 'open');
    this.ctx.log.warn({ channel: channelId, keyId, incident: incident.kind }, incident.kind === 'cooled' ? 'channel key cooling down (circuit breaker open)' : 'channel key recovered (circuit breaker closed)');
    this.#announce({
      kind: incident.kind,
      channelId,
      channelName: channel?.name ?? `#${channelId}`,
      keyId,
      keyMask: key?.mask ?? null,
      channelOut,
      reason: incident.kind === 'cooled' ? incident.reason : 'probe succeeded',
      ...(incident.kind === 'cooled' ? { until: new Date(incident.until).toISOString() } : {}),
      at: new Date().toISOString(),
    });
  }

  /** Tells the bots (event) and the webhook, if one is set. Never throws. */
  #announce(incident: ChannelIncident): void {
    this.events.emit('channel-incident', incident);
    const url = this.ctx.options.current.alertWebhookUrl;
    if (!url) return;
    postWebhook(url, incident, this.opts.webhookAddressPolicy)
      .then((status) => {
        if (status >= 300) this.ctx.log.warn({ status }, 'the alert webhook refused an alert');
      })
      .catch((err: Error) => this.ctx.log.warn({ err: err.message }, 'could not post an alert to the webhook'));
  }

  /** A channel test's answers count as probes: a passing key closes its breaker, a failing one stays out longer. */
  recordProbes(channelId: number, results: ReadonlyArray<{ keyId: number | null; ok: boolean; status: number | null; responseTimeMs: number }>): void {
    const channel = this.channels.channels.find((c) => c.id === channelId);
    if (!channel) return;
    for (const r of results) {
      const target: BreakerTarget = { channelId, keyId: r.keyId };
      const row = r.keyId === null ? channel.breaker : channel.keys.find((k) => k.id === r.keyId)?.breaker;
      if (!row) continue;
      this.health.record(target, row, probeResult(r.ok, r.status), r.responseTimeMs);
    }
  }

  /**
   * Background jobs: release holds whose request died (at start on SQLite, where this process owns the database, every
   * hold is orphaned; on PostgreSQL other instances may own fresh holds, so only those older than the TTL).
   */
  async startBackground(): Promise<void> {
    const ttl = this.ctx.config.holdTtlMs;
    const released = await this.ledger.sweep(this.ctx.db.kind === 'sqlite' ? 0 : ttl);
    if (released) this.ctx.log.warn({ released }, 'released reservations left by a previous run');
    const sweeper = setInterval(() => {
      this.ledger.sweep(ttl).catch((err) => this.ctx.log.error({ err }, 'hold sweep failed'));
    }, Math.min(ttl, 60_000));
    sweeper.unref();
    // Options are read synchronously on the hot path; refresh them each minute too, in case an invalidation was lost.
    const options = setInterval(() => {
      this.ctx.options.load().catch((err) => this.ctx.log.error({ err }, 'options reload failed'));
    }, 60_000);
    options.unref();
    this.health.start();
    const affinity = setInterval(() => {
      this.affinity.sweep().catch((err) => this.ctx.log.error({ err }, 'response affinity sweep failed'));
    }, 3600_000);
    affinity.unref();
    this.#timers.push(sweeper, options, affinity);
    this.#scheduleRetest();
  }

  /** Re-tests auto-disabled channels every `channelRetestSeconds` (0 = off), re-reading the option each round. */
  #scheduleRetest(): void {
    const seconds = this.ctx.options.current.channelRetestSeconds;
    const timer = setTimeout(async () => {
      if (seconds > 0) {
        try {
          await this.channels.ensureLoaded();
          const halfOpen = (c: (typeof this.channels.channels)[number]) =>
            c.status === 'enabled' && usableKeys(c).some((k) => this.health.state({ channelId: c.id, keyId: k.id }, k.breaker) === 'half_open');
          for (const channel of this.channels.channels.filter((c) => needsRetest(c) || halfOpen(c))) {
            const result = await testChannel(this.ctx, this.forwarder, channel.id);
            if (result) this.recordProbes(channel.id, result.keys);
            this.ctx.log.info({ channel: channel.id, ok: result?.ok }, 'channel re-test');
          }
        } catch (err) {
          this.ctx.log.error({ err }, 'channel re-test failed');
        }
      }
      this.#timers = this.#timers.filter((t) => t !== timer);
      if (!this.#closed) this.#scheduleRetest();
    }, (seconds > 0 ? seconds : 60) * 1000);
    timer.unref();
    this.#timers.push(timer);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    await this.health.stop();
    await this.forwarder.close();
  }
}

/** The breaker of the chosen key (or key-less channel) as the router loaded it. */
function breakerRowOf(choice: RouteChoice) {
  return choice.keyId === null ? choice.channel.breaker : choice.channel.keys.find((k) => k.id === choice.keyId)?.breaker;
}
