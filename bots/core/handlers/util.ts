// Small helpers the command handlers share.
import type { BotContext } from '../context.js';
import type { Messages } from '../i18n/index.js';

/** True in a private chat; otherwise tells the user to DM the bot (why depends on `what`) and returns false. */
export async function requirePrivate(ctx: BotContext, what: keyof Messages['privateOnly']): Promise<boolean> {
  if (ctx.chat.isPrivate) return true;
  await ctx.reply(ctx.t.privateOnly[what]);
  return false;
}

export function positiveInt(arg: string | undefined): number | null {
  if (!arg || !/^\d{1,9}$/.test(arg)) return null;
  const n = Number(arg);
  return n > 0 ? n : null;
}

/** Buttons two per row: labels stay readable on a phone. */
export function pairs<T>(items: T[]): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += 2) rows.push(items.slice(i, i + 2));
  return rows;
}
