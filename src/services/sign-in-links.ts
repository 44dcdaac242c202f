// One-time sign-in links to the web console, handed out by the bots' /web in a private chat: the chat already proved
// who the user is, so the link signs them in without a password. The code is long (like a key), stored only as its
// hash, valid for a few minutes and used once; a wrong guess counts against the client's code guess limits.
import { RelayError } from '../errors.js';
import { hashSecret, randomString } from '../auth/secrets.js';
import type { GuessingContext, ServiceContext } from './service-utils.js';

export const SIGN_IN_LINK_TTL_MS = 5 * 60 * 1000;
/** The route the link opens (src/routes/api/session.ts). */
export const SIGN_IN_LINK_PATH = '/api/auth/link-login';

/** A fresh code for `userId`; earlier unused ones of theirs stay valid until they expire (each works once). */
export async function issueSignInCode(ctx: ServiceContext, userId: number, now = Date.now()): Promise<{ code: string; expiresAt: Date }> {
  const code = randomString(32);
  const expiresAt = new Date(now + SIGN_IN_LINK_TTL_MS);
  await ctx.db.prisma.$transaction([
    ctx.db.prisma.signInCode.deleteMany({ where: { expiresAt: { lte: new Date(now) } } }),
    ctx.db.prisma.signInCode.create({ data: { codeHash: hashSecret(code), userId, expiresAt } }),
  ]);
  return { code, expiresAt };
}

/** The link to send: `base` is the relay's public address (option publicUrl). */
export function signInUrl(base: string, code: string): string {
  return `${base.replace(/\/+$/, '')}${SIGN_IN_LINK_PATH}?code=${encodeURIComponent(code)}`;
}

/**
 * Consumes the code (once, even when opened twice at the same moment) and returns its account. Unknown, used or expired
 * → invalid_code; a disabled account → account_disabled.
 */
export async function claimSignInCode(ctx: GuessingContext, code: string, client: string): Promise<number> {
  const invalid = new RelayError('invalid_code', 'this sign-in link is unknown, used or expired; send /web to the bot for a new one');
  const userId = await ctx.guesses.codes.attempt(
    // Per client only: with a shared "account", anyone's wrong guesses would block everybody's links.
    { account: `sign-in link from ${client}`, client },
    async () => {
      const codeHash = hashSecret(code);
      const row = await ctx.db.prisma.signInCode.findUnique({ where: { codeHash } });
      if (!row || row.expiresAt.getTime() <= Date.now()) throw invalid;
      const claimed = await ctx.db.prisma.signInCode.deleteMany({ where: { codeHash } });
      if (claimed.count !== 1) throw invalid;
      return row.userId;
    },
    (err) => err instanceof RelayError && err.code === 'invalid_code',
  );
  const user = await ctx.db.prisma.user.findUnique({ where: { id: userId }, select: { status: true } });
  if (!user) throw invalid;
  if (user.status !== 'enabled') throw new RelayError('account_disabled', 'this account is disabled');
  return userId;
}
