// Prometheus metrics (prom-client), one registry per process. The relay's hot path only increments counters and
// observes histograms through label lookups; gauges that describe state (database pool, open reservations) are read
// when Prometheus scrapes. Label values are bounded: endpoints are route patterns, models only those with a price
// (else "other"), channels by id, outcomes and kinds are error codes or HTTP statuses; never a key or a user.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type pg from 'pg';
import type { RelayCall } from '../relay/call.js';
import type { CallOutcome } from '../relay/pipeline.js';
import type { RelayError } from '../errors.js';

/** Seconds: relay calls take from milliseconds (errors, cached answers) to minutes (long generations). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'relay_requests_total',
    help: 'Relay calls by endpoint, model (priced models, else "other"), last channel tried ("none") and outcome ("ok" or the error code)',
    labelNames: ['endpoint', 'model', 'channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #latency = new Histogram({
    name: 'relay_request_duration_seconds',
    help: 'Time from admission to the end of the call (settled), by endpoint and result',
    labelNames: ['endpoint', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly #ttft = new Histogram({
    name: 'relay_time_to_first_token_seconds',
    help: 'Streams: time from admission to the first byte sent to the client, by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: TTFT_BUCKETS,
    registers: [this.registry],
  });
  readonly #upstreamErrors = new Counter({
    name: 'relay_upstream_errors_total',
    help: 'Failed upstream attempts by channel and kind (the upstream HTTP status, or the error code: upstream_timeout, …)',
    labelNames: ['channel', 'kind'] as const,
    registers: [this.registry],
  });
  readonly #retries = new Counter({ name: 'relay_retries_total', help: 'Upstream attempts after the first of a call', registers: [this.registry] });
  readonly #failovers = new Counter({
    name: 'relay_failovers_total',
    help: 'Calls answered by another channel than the one tried first',
    registers: [this.registry],
  });
  readonly #charged = new Counter({ name: 'relay_quota_charged_units_total', help: 'Quota units charged for relay calls (500,000 = 1 USD)', registers: [this.registry] });
  readonly #writtenOff = new Counter({
    name: 'relay_quota_written_off_units_total',
    help: 'Quota units a call cost beyond what the balance could cover (not charged)',
    registers: [this.registry],
  });
  readonly #open = new Gauge({ name: 'relay_open_reservations', help: 'Calls of this instance holding a reservation (admitted, not settled yet)', registers: [this.registry] });
  readonly #rateLimited = new Counter({
    name: 'relay_rate_limited_total',
    help: 'Calls refused by a rate limit, by limit (rpm, tpm, concurrency)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly #botMessages = new Counter({
    name: 'bot_messages_total',
    help: 'Messages the chat bots received, by platform',
    labelNames: ['platform'] as const,
    registers: [this.registry],
  });
  #priced: ReadonlySet<string> = new Set();
  #defaults = false;
  #pool = false;

  /** The models that may appear as a label (the priced ones); the rest count as "other". */
  setPricedModels(models: Iterable<string>): void {
    this.#priced = new Set(models);
  }

  /** Process metrics: CPU, memory, GC, event-loop lag (monitorEventLoopDelay). Only when the metrics are served. */
  collectDefaults(): void {
    if (this.#defaults) return;
    this.#defaults = true;
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** PostgreSQL pool use (connections total, idle, waiting), read at each scrape. */
  watchPool(pool: pg.Pool): void {
    if (this.#pool) return;
    this.#pool = true;
    const registry = this.registry;
    new Gauge({
      name: 'db_pool_connections',
      help: 'PostgreSQL pool of this instance: connections by state (total, idle, waiting = queries waiting for one)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  reservationOpened(): void {
    this.#open.inc();
  }

  reservationClosed(): void {
    this.#open.dec();
  }

  rateLimited(limit: string): void {
    this.#rateLimited.labels(limit).inc();
  }

  botMessage(platform: string): void {
    this.#botMessages.labels(platform).inc();
  }

  #model(model: string): string {
    return this.#priced.has(model) ? model : 'other';
  }

  /** A call refused at admission (nothing reserved, no upstream attempt). */
  refused(call: RelayCall, err: RelayError): void {
    this.#requests.labels(call.endpoint, this.#model(call.model), 'none', err.code).inc();
    this.#latency.labels(call.endpoint, 'error').observe((Date.now() - call.startedAt) / 1000);
  }

  /** An admitted call, settled. */
  finished(call: RelayCall, outcome: CallOutcome): void {
    const attempts = outcome.attempts;
    const last = attempts[attempts.length - 1];
    const channel = last ? String(last.channelId) : 'none';
    this.#requests.labels(call.endpoint, this.#model(call.model), channel, outcome.error?.code ?? 'ok').inc();
    this.#latency.labels(call.endpoint, outcome.status === 'ok' ? 'ok' : 'error').observe((Date.now() - call.startedAt) / 1000);
    if (call.stream && call.firstByteAt !== undefined) this.#ttft.labels(call.endpoint).observe((call.firstByteAt - call.startedAt) / 1000);
    for (const a of attempts) {
      if (a.outcome !== 'done') this.#upstreamErrors.labels(String(a.channelId), a.upstreamStatus !== undefined ? String(a.upstreamStatus) : a.code).inc();
    }
    if (attempts.length > 1) {
      this.#retries.inc(attempts.length - 1);
      if (outcome.status === 'ok' && last && last.channelId !== attempts[0]!.channelId) this.#failovers.inc();
    }
    if (outcome.charged > 0) this.#charged.inc(outcome.charged);
    if (outcome.writeOff > 0) this.#writtenOff.inc(outcome.writeOff);
  }
}
