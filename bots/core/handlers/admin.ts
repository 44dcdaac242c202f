// Admin commands: channel status and switches, redemption codes, user look-up. The router refuses non-admins before
// any of these run. Codes are secrets, so like keys they are only ever shown in a private chat.
import type { ChannelInfo, UserSummary } from '../backend.js';
import { formatNumber, formatUnits, parseQuota } from '../commands.js';
import { linkedUser, type Router } from '../router.js';
import { positiveInt, requirePrivate } from './util.js';

const MAX_CODES = 100;

export function adminCommands(router: Router): void {
  router.command('channels', { description: 'Channel status', access: 'admin' }, async (ctx) => {
    const channels = await ctx.backend.listChannels();
    if (channels.length === 0) return ctx.reply('No channels yet.');
    await ctx.reply(`Channels:\n${channels.map(describeChannel).join('\n')}`);
  });

  router.command('channel', { description: 'Enable or disable a channel', usage: 'enable|disable <id>', access: 'admin' }, async (ctx) => {
    const [action, idArg] = ctx.command?.args ?? [];
    const id = positiveInt(idArg);
    if ((action !== 'enable' && action !== 'disable') || id === null) return ctx.reply('Usage: /channel enable|disable <id>');
    const channel = await ctx.backend.setChannelEnabled(id, action === 'enable');
    await ctx.reply(`Channel #${channel.id} "${channel.name}" is now ${channel.status}.`);
  });

  router.command('codes', { description: 'Create redemption codes', usage: '<quota> <count> [name]', access: 'admin' }, async (ctx) => {
    if (!(await requirePrivate(ctx, 'show redemption codes'))) return;
    const [quotaArg, countArg, ...nameParts] = ctx.command?.args ?? [];
    const quota = quotaArg === undefined ? null : parseQuota(quotaArg);
    const count = positiveInt(countArg);
    if (quota === null || quota <= 0 || count === null || count > MAX_CODES) {
      return ctx.reply(`Usage: /codes <quota in units or $amount> <count, up to ${MAX_CODES}> [name]`);
    }
    const admin = await linkedUser(ctx);
    const name = nameParts.join(' ') || 'bot';
    const codes = await ctx.backend.createRedemptionCodes(admin.id, { quota, count, name });
    await ctx.reply({
      sensitive: true,
      text: `${codes.length} code(s) worth ${formatUnits(quota)} each ("${name}"), shown only this once:\n\n${codes.join('\n')}`,
    });
  });

  router.command('user', { description: 'Look up a user', usage: '<id | username>', access: 'admin' }, async (ctx) => {
    const query = ctx.command?.args[0];
    if (!query) return ctx.reply('Usage: /user <id | username>');
    const user = await ctx.backend.findUser(query);
    await ctx.reply(user ? describeUser(user) : `No user matches "${query}".`);
  });
}

function describeChannel(c: ChannelInfo): string {
  const icon = c.status === 'enabled' ? '🟢' : c.status === 'auto_disabled' ? '🔴' : '⚪';
  const reason = c.disabledReason ? ` (${c.disabledReason})` : '';
  const speed = c.responseTimeMs === null ? '' : ` · ${c.responseTimeMs} ms`;
  return `${icon} #${c.id} ${c.name} · ${c.type} · ${c.status}${reason} · priority ${c.priority}${speed}`;
}

function describeUser(u: UserSummary): string {
  const links = u.links.length ? u.links.map((l) => `${l.platform}:${l.platformUserId}`).join(', ') : 'none';
  return (
    `User #${u.id} ${u.username} · ${u.role} · ${u.status}\n` +
    `Group: ${u.group}\n` +
    `Balance: ${formatUnits(u.quota)}\n` +
    `Used: ${formatUnits(u.usedQuota)} over ${formatNumber(u.requestCount)} requests\n` +
    `Chat links: ${links}`
  );
}
