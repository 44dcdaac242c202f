// Which channel and key served a stored Responses API response. OpenAI keeps a response (store: true, the default) in
// the account of the key that made it, so a follow-up naming it (previous_response_id) and GET / DELETE / cancel of
// /v1/responses/{id} must reach that same channel and key. The rows live in the database, not in process memory, so
// every instance finds them; each belongs to the user whose call made it, and nobody else can reach it.
import type { Db } from '../db/client.js';
import type { RelayCall } from './call.js';

/** OpenAI keeps stored responses for 30 days; a row is no use after that. */
export const AFFINITY_TTL_MS = 30 * 24 * 3600 * 1000;

export interface AffinityRoute {
  channelId: number;
  keyId: number | null;
}

export class ResponseAffinity {
  constructor(private readonly db: Db) {}

  /**
   * After a native Responses call: remember where its response is stored. Nothing to remember for a response the
   * client asked not to store, one served by translation (no upstream holds it), or a call without an id.
   */
  async remember(call: RelayCall): Promise<void> {
    if (call.format !== 'responses' || !call.upstreamId || !call.route || call.body.store === false) return;
    const row = { userId: call.payer.userId, channelId: call.route.channel.id, keyId: call.route.keyId };
    await this.db.prisma.responseAffinity.upsert({
      where: { responseId: call.upstreamId },
      create: { responseId: call.upstreamId, ...row },
      update: row,
    });
  }

  /** Where the user's response `responseId` is stored, if it is one of theirs. */
  async lookup(responseId: string, userId: number): Promise<AffinityRoute | undefined> {
    const row = await this.db.prisma.responseAffinity.findUnique({ where: { responseId } });
    if (!row || row.userId !== userId) return undefined;
    return { channelId: row.channelId, keyId: row.keyId };
  }

  async forget(responseId: string): Promise<void> {
    await this.db.prisma.responseAffinity.deleteMany({ where: { responseId } });
  }

  /** Drops rows past OpenAI's retention. */
  async sweep(now = Date.now()): Promise<number> {
    const { count } = await this.db.prisma.responseAffinity.deleteMany({ where: { createdAt: { lt: new Date(now - AFFINITY_TTL_MS) } } });
    return count;
  }
}
