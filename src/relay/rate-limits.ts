// Rate limits of relay calls: requests and tokens per minute of a token and of each user in a group, and calls in
// flight per token. Checked at admission, after the in-memory checks and before the reservation (a refused call costs
// no ledger work); counted in the RateLimitStore (Redis when set, so every instance shares the counts).
//
// A call with no limit anywhere (all null, the default) makes no store call at all. Tokens per minute are taken at
// admission as the counted prompt plus the output asked (the client's max_tokens, else defaultCompletionEstimate, per
// choice) and corrected to the billed tokens at settle; a slot is held from admission until the call is settled.
import { RelayError } from '../errors.js';
import { retryAfterSeconds, type RateLimitStore, type WindowTake } from '../rate-limit/store.js';
import type { RelayCall } from './call.js';

const MINUTE = 60_000;

/** The limits that apply to one call (from its token and its group); null = unlimited. */
export interface CallLimits {
  tokenId: number | null;
  userId: number;
  group: string;
  tokenRpm: number | null;
  tokenTpm: number | null;
  tokenConcurrent: number | null;
  groupRpm: number | null;
  groupTpm: number | null;
}

/** What a limited call took: given back or corrected exactly once, when the call ends. */
export interface RateLimitTicket {
  /** TPM windows taken, with the tokens taken and the bucket they went into. */
  tpm: { keys: string[]; taken: number; bucket: number } | undefined;
  slot: { key: string; id: string } | undefined;
  done: boolean;
}

type Refusal = { what: 'rpm' | 'tpm'; who: 'token' | 'group'; limit: number };

export class RelayRateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    /** Slots older than this are taken for leaked (an instance died mid-call): the longest a call may run. */
    private readonly maxCallMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly onRefused: (what: string) => void = () => {},
  ) {}

  /**
   * Counts the call against its limits, or throws 429 rate_limited with `retryAfter` seconds. `tokens`: the tokens
   * per minute to take now. Undefined when nothing limits the call. A store that fails lets the call through (logged):
   * rate limits protect capacity; they are not worth an outage.
   */
  async admit(call: RelayCall, limits: CallLimits, tokens: number): Promise<RateLimitTicket | undefined> {
    const windows: WindowTake[] = [];
    const refusals: Refusal[] = [];
    const tpmKeys: string[] = [];
    const tokenKey = `t:${limits.tokenId}`;
    const groupKey = `g:${limits.group}:u:${limits.userId}`;
    const add = (what: 'rpm' | 'tpm', who: 'token' | 'group', limit: number | null) => {
      if (limit === null) return;
      const key = `${who === 'token' ? tokenKey : groupKey}:${what}`;
      windows.push({ key, limit, cost: what === 'rpm' ? 1 : tokens });
      refusals.push({ what, who, limit });
      if (what === 'tpm') tpmKeys.push(key);
    };
    if (limits.tokenId !== null) {
      add('rpm', 'token', limits.tokenRpm);
      add('tpm', 'token', limits.tokenTpm);
    }
    add('rpm', 'group', limits.groupRpm);
    add('tpm', 'group', limits.groupTpm);
    const concurrent = limits.tokenId !== null ? limits.tokenConcurrent : null;
    if (windows.length === 0 && concurrent === null) return undefined;

    const ticket: RateLimitTicket = { tpm: undefined, slot: undefined, done: false };
    try {
      // The slot first: a call refused for it takes nothing from the windows.
      if (concurrent !== null) {
        const slot = { key: `${tokenKey}:slots`, id: call.id };
        if (!(await this.store.acquireSlot(slot.key, slot.id, concurrent, this.maxCallMs))) {
          this.onRefused('concurrency');
          throw new RelayError(
            'rate_limited',
            `rate limit reached: this API key allows ${concurrent} call${concurrent === 1 ? '' : 's'} at a time; wait for one to finish and try again`,
            429,
            { retryAfter: 1 },
          );
        }
        ticket.slot = slot;
      }
      if (windows.length > 0) {
        const taken = await this.store.take(windows, MINUTE);
        if (!taken.ok) {
          await this.#releaseSlot(ticket);
          const r = refusals[taken.index]!;
          this.onRefused(r.what);
          throw refusedError(r, limits.group, retryAfterSeconds(taken.retryAfterMs));
        }
        if (tpmKeys.length > 0) ticket.tpm = { keys: tpmKeys, taken: tokens, bucket: taken.bucket };
      }
    } catch (err) {
      if (err instanceof RelayError) throw err;
      this.onError(err);
      await this.#releaseSlot(ticket);
      return undefined;
    }
    return ticket;
  }

  /** The call ended: the tokens per minute corrected to `billedTokens` and the slot released, once. */
  async finish(ticket: RateLimitTicket | undefined, billedTokens: number): Promise<void> {
    if (!ticket || ticket.done) return;
    ticket.done = true;
    try {
      const { tpm } = ticket;
      if (tpm && billedTokens !== tpm.taken) {
        await Promise.all(tpm.keys.map((key) => this.store.adjust(key, MINUTE, tpm.bucket, billedTokens - tpm.taken)));
      }
    } catch (err) {
      this.onError(err);
    }
    await this.#releaseSlot(ticket);
  }

  async #releaseSlot(ticket: RateLimitTicket): Promise<void> {
    const slot = ticket.slot;
    if (!slot) return;
    ticket.slot = undefined;
    await this.store.releaseSlot(slot.key, slot.id).catch(this.onError);
  }
}

function refusedError(r: Refusal, group: string, retryAfter: number): RelayError {
  const whose = r.who === 'token' ? 'this API key allows' : `group ${group} allows each user`;
  const unit = r.what === 'rpm' ? 'requests' : 'tokens';
  return new RelayError(
    'rate_limited',
    `rate limit reached: ${whose} ${r.limit} ${unit} per minute; try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}`,
    429,
    { retryAfter },
  );
}

/** A call's limits: its token's own, and its group's for each of its users. */
export function limitsOf(call: RelayCall): CallLimits {
  const token = call.payer.token;
  return {
    tokenId: token?.id ?? null,
    userId: call.payer.userId,
    group: call.payer.group,
    tokenRpm: token?.rpm ?? null,
    tokenTpm: token?.tpm ?? null,
    tokenConcurrent: token?.maxConcurrent ?? null,
    groupRpm: call.group?.rpm ?? null,
    groupTpm: call.group?.tpm ?? null,
  };
}
