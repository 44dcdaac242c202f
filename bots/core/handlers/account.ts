// Linking a chat identity to a relay account, and the account's money: balance, recharge (recharge.ts), redeem, logs.
import { formatNumber, formatUnits, formatUsd } from '../commands.js';
import { QUOTA_PER_USD } from '../../../src/billing/decimal.js';
import { rechargeCommand } from './recharge.js';
import type { BotContext } from '../context.js';
import { linkedUser, type Router } from '../router.js';
import { formatDate, positiveInt, requirePrivate } from './util.js';

const MAX_LOGS = 20;

export function accountCommands(router: Router): void {
  router.command('link', { description: 'Link this chat account with a code from the web console', usage: '<code>', access: 'anyone' }, (ctx) =>
    link(ctx, ctx.command?.args[0]),
  );

  router.command('register', { description: 'Create a relay account for this chat account', access: 'anyone' }, async (ctx) => {
    if (!(await requirePrivate(ctx, 'create accounts'))) return;
    const existing = await ctx.user();
    if (existing) return ctx.reply(`You already have an account: ${existing.username}. See /balance.`);
    const user = await ctx.backend.register(ctx.message.platform, ctx.message.userId, ctx.message.displayName ?? '');
    ctx.setUser(user);
    await ctx.reply(`Welcome! Your account "${user.username}" is ready and linked to this chat. Try /balance or just send me a message.`);
  });

  router.command('balance', { description: 'Your balance and usage', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const account = await ctx.backend.getAccount(user.id);
    await ctx.reply(
      `Account: ${account.username} (group ${account.group})\n` +
        `Balance: ${formatUnits(account.quota)}\n` +
        `Used: ${formatUnits(account.usedQuota)} over ${formatNumber(account.requestCount)} requests\n\n` +
        'Need more? See /recharge.',
    );
  });

  rechargeCommand(router);

  router.command('redeem', { description: 'Add a redemption code to your balance', usage: '<code>', access: 'linked' }, async (ctx) => {
    const code = ctx.command?.args[0];
    if (!code) return ctx.reply('Usage: /redeem <code>');
    const user = await linkedUser(ctx);
    const result = await ctx.backend.redeem(user.id, code, ctx.message.platform);
    await ctx.reply(`Redeemed ${formatUnits(result.quota)}. Your balance is now ${formatUnits(result.balance)}.`);
  });

  router.command('logs', { description: 'Your most recent usage', usage: `[count, up to ${MAX_LOGS}]`, access: 'linked' }, async (ctx) => {
    const arg = ctx.command?.args[0];
    const limit = arg === undefined ? 5 : positiveInt(arg);
    if (limit === null) return ctx.reply(`Usage: /logs [count from 1 to ${MAX_LOGS}]`);
    const user = await linkedUser(ctx);
    const logs = await ctx.backend.recentLogs(user.id, Math.min(limit, MAX_LOGS));
    if (logs.length === 0) return ctx.reply('No usage yet.');
    const lines = logs.map((log) => {
      const what = log.type === 'consume' ? `${log.model || 'request'} · ${log.promptTokens}+${log.completionTokens} tokens` : log.type;
      const status = log.status === 'ok' ? '' : ` · ${log.status}${log.content ? `: ${log.content}` : ''}`;
      return `${formatDate(log.createdAt)} · ${what} · ${formatNumber(log.quota)} units (${formatUsd(log.quota / QUOTA_PER_USD)})${status}`;
    });
    await ctx.reply(`Your last ${logs.length} entries:\n${lines.join('\n')}`);
  });
}

/** /link <code>, and Telegram's deep link /start <code>. Only in a private chat: a code in a group could be stolen. */
export async function link(ctx: BotContext, code: string | undefined): Promise<unknown> {
  if (!(await requirePrivate(ctx, 'link accounts'))) return;
  if (!code) return ctx.reply('Usage: /link <code> — create the code in the web console (Account → Link a chat account).');
  const existing = await ctx.user();
  if (existing) return ctx.reply(`This chat account is already linked to ${existing.username}.`);
  const user = await ctx.backend.linkWithCode(ctx.message.platform, ctx.message.userId, code);
  ctx.setUser(user);
  return ctx.reply(`Linked to ${user.username}. Try /balance, /tokens, or just send me a message to chat.`);
}
