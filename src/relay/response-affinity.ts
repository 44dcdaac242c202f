// Which channel and key served a stored Responses API response. OpenAI keeps a response (store: true, the default) in
// the account of the key that made it, so a follow-up naming it (previous_response_id) and GET / DELETE / cancel of
// /v1/responses/{id} must reach that same channel and key. The rows live in the database, not in process memory, so
// every instance finds them; each belongs to the user whose call made it, and nobody else can reach it.
import type { Db } from '../db/client.js';
import type { RelayCall } from './call.js';
import { isRecord, type JsonObject } from '../providers/json.js';

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
    if (call.format !== 'responses' || call.body.store === false) return;
    const translated = call.inbound?.outputItems?.();
    if (translated) return this.#keepItems(call.payer.userId, translated);
    if (!call.upstreamId || !call.route) return;
    const row = { userId: call.payer.userId, channelId: call.route.channel.id, keyId: call.route.keyId };
    await this.db.prisma.responseAffinity.upsert({
      where: { responseId: call.upstreamId },
      create: { responseId: call.upstreamId, ...row },
      update: row,
    });
  }

  /** A translated answer's output items: no upstream keeps them, so the relay does, for item_reference. */
  async #keepItems(userId: number, items: readonly Record<string, unknown>[]): Promise<void> {
    const data = items.flatMap((item) => (typeof item.id === 'string' ? [{ itemId: item.id, userId, item: JSON.stringify(item) }] : []));
    if (data.length > 0) await this.db.prisma.responseItem.createMany({ data });
  }

  /**
   * The input with each item_reference to an item the relay keeps (of this user's translated answers) replaced by the
   * item itself; references to anything else (OpenAI's own items) stay for the upstream that holds them.
   */
  async inlineReferences(body: JsonObject, userId: number): Promise<JsonObject> {
    if (!Array.isArray(body.input)) return body;
    const ids = body.input.flatMap((i: unknown) => (isRecord(i) && i.type === 'item_reference' && typeof i.id === 'string' ? [i.id] : []));
    if (ids.length === 0) return body;
    const rows = await this.db.prisma.responseItem.findMany({ where: { itemId: { in: ids }, userId } });
    if (rows.length === 0) return body;
    const kept = new Map(rows.map((r) => [r.itemId, JSON.parse(r.item) as unknown]));
    const input = body.input.map((i: unknown) => (isRecord(i) && i.type === 'item_reference' && typeof i.id === 'string' ? (kept.get(i.id) ?? i) : i));
    return { ...body, input };
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
    const where = { createdAt: { lt: new Date(now - AFFINITY_TTL_MS) } };
    const [routes, items] = await Promise.all([this.db.prisma.responseAffinity.deleteMany({ where }), this.db.prisma.responseItem.deleteMany({ where })]);
    return routes.count + items.count;
  }
}
