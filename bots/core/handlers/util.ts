// Small helpers the command handlers share.
import type { BotContext } from '../context.js';

export const DM_ONLY = (what: string): string =>
  `For your safety I only ${what} in a private chat. Message me directly (DM the bot) and send the command there.`;

/** True in a private chat; otherwise tells the user to DM the bot and returns false. */
export async function requirePrivate(ctx: BotContext, what: string): Promise<boolean> {
  if (ctx.chat.isPrivate) return true;
  await ctx.reply(DM_ONLY(what));
  return false;
}

/** "2026-11-29T10:04:00.000Z" → "2026-11-29 10:04 UTC". */
export function formatDate(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function positiveInt(arg: string | undefined): number | null {
  if (!arg || !/^\d{1,9}$/.test(arg)) return null;
  const n = Number(arg);
  return n > 0 ? n : null;
}
