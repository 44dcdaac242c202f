// Linking chat identities to relay accounts. The web console (POST /api/links/code) issues a short-lived one-time
// code; the user sends it to the bot in a private chat; the bot claims it. Only the code's hash is stored.

import { RelayError } from '../errors.js';
import { hashSecret, newLinkCode } from '../auth/secrets.js';
import type { GuessingContext, ServiceContext } from './service-utils.js';
import { isUniqueViolation } from './service-utils.js';

export const LINK_CODE_TTL_MS = 10 * 60 * 1000;

/** A fresh code for `userId`, replacing any earlier one of theirs (only the newest works). */
export async function issueLinkCode(ctx: ServiceContext, userId: number, now = Date.now()): Promise<{ code: string; expiresAt: Date }> {
  const code = newLinkCode();
  const expiresAt = new Date(now + LINK_CODE_TTL_MS);
  await ctx.db.prisma.$transaction([
    // Expired codes of anyone are dead weight; this user's older codes are superseded.
    ctx.db.prisma.linkCode.deleteMany({ where: { OR: [{ userId }, { expiresAt: { lte: new Date(now) } }] } }),
    ctx.db.prisma.linkCode.create({ data: { codeHash: hashSecret(code), userId, expiresAt } }),
  ]);
  return { code, expiresAt };
}

/**
 * Links (platform, platformUserId) to the code's account and consumes the code, once: a code sent twice at the same
 * moment links one identity. Unknown/expired code → invalid_code, counted against the chat identity's code guess
 * limits; identity already linked → conflict.
 */
export async function claimLinkCode(ctx: GuessingContext, platform: string, platformUserId: string, code: string): Promise<number> {
  const identity = `${platform}:${platformUserId}`;
  return ctx.guesses.codes.attempt(
    { account: identity, client: identity },
    () => claim(ctx, platform, platformUserId, code),
    (err) => err instanceof RelayError && err.code === 'invalid_code',
  );
}

async function claim(ctx: ServiceContext, platform: string, platformUserId: string, code: string): Promise<number> {
  const codeHash = hashSecret(code.trim());
  const invalid = new RelayError('invalid_code', 'that link code is unknown or expired; create a new one in the web console');
  try {
    return await ctx.db.prisma.$transaction(async (tx) => {
      const row = await tx.linkCode.findUnique({ where: { codeHash } });
      if (!row || row.expiresAt.getTime() <= Date.now()) throw invalid;
      const claimed = await tx.linkCode.deleteMany({ where: { codeHash } });
      if (claimed.count !== 1) throw invalid;
      await tx.platformLink.create({ data: { platform, platformUserId, userId: row.userId } });
      return row.userId;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new RelayError('conflict', 'this chat account is already linked to a relay account');
    throw err;
  }
}

export interface LinkView {
  id: number;
  platform: string;
  platformUserId: string;
  createdAt: string;
}

/** The chat identities linked to `userId`, oldest first. */
export async function listLinks(ctx: ServiceContext, userId: number): Promise<LinkView[]> {
  const rows = await ctx.db.prisma.platformLink.findMany({ where: { userId }, orderBy: { id: 'asc' } });
  return rows.map((r) => ({ id: r.id, platform: r.platform, platformUserId: r.platformUserId, createdAt: r.createdAt.toISOString() }));
}

/** Unlinks one of `userId`'s identities; someone else's link answers not_found, as if it did not exist. */
export async function unlink(ctx: ServiceContext, userId: number, linkId: number): Promise<void> {
  const done = await ctx.db.prisma.platformLink.deleteMany({ where: { id: linkId, userId } });
  if (done.count === 0) throw new RelayError('not_found', `linked account ${linkId} not found`);
}
