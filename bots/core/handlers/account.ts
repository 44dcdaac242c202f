// Linking a chat identity to a relay account, signing in to the web console from the chat, and the account's money:
// balance, usage, recharge (recharge.ts), redeem, logs.
import { rechargeCommand } from './recharge.js';
import type { BotContext } from '../context.js';
import { linkedUser, type Router } from '../router.js';
import { positiveInt, requirePrivate } from './util.js';

const MAX_LOGS = 20;

export function accountCommands(router: Router): void {
  router.command('link', { access: 'anyone', args: [{ name: 'code', required: true }] }, (ctx) => link(ctx, ctx.command?.args[0]));

  router.command('register', { access: 'anyone' }, async (ctx) => {
    if (!(await requirePrivate(ctx, 'register'))) return;
    const existing = await ctx.user();
    if (existing) return ctx.reply(ctx.t.account.alreadyRegistered(existing.username));
    const user = await ctx.backend.register(ctx.message.platform, ctx.message.userId, ctx.message.displayName ?? '');
    ctx.setUser(user);
    await ctx.reply(ctx.t.account.registered(user.username));
  });

  // The link signs in as the account, so it is handed out like a key: only in a private chat.
  router.command('web', { access: 'linked' }, async (ctx) => {
    if (!(await requirePrivate(ctx, 'web'))) return;
    const user = await linkedUser(ctx);
    const link = await ctx.backend.webSignIn(user.id);
    if (!link) return ctx.reply(ctx.t.account.webNotConfigured);
    const minutes = Math.round((Date.parse(link.expiresAt) - Date.now()) / 60_000);
    await ctx.reply({ sensitive: true, text: ctx.t.account.web(user.username, link.url, minutes) });
  });

  router.command('balance', { access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const account = await ctx.backend.getAccount(user.id);
    const b = ctx.t.account.balanceButtons;
    await ctx.reply({
      text: ctx.t.account.balance(account),
      buttons: [[{ label: b.usage, data: '/usage' }, { label: b.tokens, data: '/tokens' }, { label: b.recharge, data: '/recharge' }]],
    });
  });

  router.command('usage', { access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    await ctx.reply(ctx.t.account.usage(await ctx.backend.usage(user.id)));
  });

  rechargeCommand(router);

  router.command('redeem', { access: 'linked', args: [{ name: 'code', required: true }] }, async (ctx) => {
    const code = ctx.command?.args[0];
    if (!code) return ctx.reply(ctx.t.account.redeemUsage);
    const user = await linkedUser(ctx);
    const result = await ctx.backend.redeem(user.id, code, ctx.message.platform);
    await ctx.reply(ctx.t.account.redeemed(result.quota, result.balance));
  });

  router.command('logs', { access: 'linked', args: [{ name: 'count', type: 'integer' }] }, async (ctx) => {
    const arg = ctx.command?.args[0];
    const limit = arg === undefined ? 5 : positiveInt(arg);
    if (limit === null) return ctx.reply(ctx.t.account.logsUsage(MAX_LOGS));
    const user = await linkedUser(ctx);
    const logs = await ctx.backend.recentLogs(user.id, Math.min(limit, MAX_LOGS));
    if (logs.length === 0) return ctx.reply(ctx.t.account.noUsage);
    const lines = logs.map((log) =>
      ctx.t.account.logLine({
        ...log,
        date: ctx.t.date(log.createdAt),
        failure: log.status === 'ok' ? '' : ` · ${log.status}${log.content ? `: ${log.content}` : ''}`,
      }),
    );
    await ctx.reply(ctx.t.account.logs(lines));
  });
}

/** /link <code>, and Telegram's deep link /start <code>. Only in a private chat: a code in a group could be stolen. */
export async function link(ctx: BotContext, code: string | undefined): Promise<unknown> {
  if (!(await requirePrivate(ctx, 'link'))) return;
  if (!code) return ctx.reply(ctx.t.account.linkUsage);
  const existing = await ctx.user();
  if (existing) return ctx.reply(ctx.t.account.alreadyLinked(existing.username));
  const user = await ctx.backend.linkWithCode(ctx.message.platform, ctx.message.userId, code);
  ctx.setUser(user);
  return ctx.reply(ctx.t.account.linked(user.username));
}
