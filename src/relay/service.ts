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
import { ChannelRouter, type Random, type RouteChoice } from './channels.js';
import { disableKey } from '../services/channel-repository.js';
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
  /** Where stored Responses API responses live (channel and key), for follow-ups and GET/DELETE/cancel. */
  readonly affinity: ResponseAffinity;
  readonly events = new EventEmitter<RelayEvents>();
  readonly #deps: PipelineDeps;
  readonly #admitDeps: AdmitDeps;
  #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(
    private readonly ctx: AppContext,
    opts: { imageAddressPolicy?: AddressPolicy; /** The router's random source (tests make routing deterministic). */ random?: Random } = {},
  ) {
    this.tokens = new TokenAuth(ctx.db, ctx.bus);
    this.groups = new GroupDirectory(ctx.db, ctx.bus);
    this.channels = new ChannelRouter(ctx, opts.random);
    this.pricing = new Pricing(ctx.options);
    this.ledger = createLedger(ctx.db, ctx.bus);
    this.filter = new ContentFilter(ctx.options);
    this.forwarder = new Forwarder();
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
      untranslatable: req.untranslatable,
      pinned: req.pinned,
      unseenPrompt: req.unseenPrompt,
    });
    await admit(this.#admitDeps, call);
    return runCall(this.#deps, call, sink);
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
          for (const channel of this.channels.channels.filter(needsRetest)) {
            const result = await testChannel(this.ctx, this.forwarder, channel.id);
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
    await this.forwarder.close();
  }
}
