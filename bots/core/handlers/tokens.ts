// Relay tokens (API keys). A new key is shown once and only in a private chat: the check is here, in the core, so no
// adapter can get it wrong. Deleting asks for a confirmation button first.
import type { TokenInfo } from '../backend.js';
import { formatUnits, parseTokenSpec } from '../commands.js';
import type { BotContext } from '../context.js';
import { linkedUser, type Router } from '../router.js';
import { formatDate, positiveInt, requirePrivate } from './util.js';

const USAGE =
  'Usage:\n/token new <name> [quota] [expiry like 30d] [models,comma,separated]\n/token del <id>\n' +
  'Quota is in units (500,000 = 1 USD) or dollars like $5; leave it out for unlimited.';

export function tokenCommands(router: Router): void {
  router.command('tokens', { description: 'Your API keys', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const tokens = await ctx.backend.listTokens(user.id);
    if (tokens.length === 0) return ctx.reply('You have no tokens yet. Create one with /token new <name>.');
    await ctx.reply(`Your tokens:\n${tokens.map(describeToken).join('\n')}\n\nDelete one with /token del <id>.`);
  });

  router.command('token', { description: 'Create or delete an API key', usage: 'new <name> [quota] [expiry] [models] | del <id>', access: 'linked' }, async (ctx) => {
    const [sub, ...args] = ctx.command?.args ?? [];
    switch (sub?.toLowerCase()) {
      case 'new':
      case 'create':
        return createToken(ctx, args);
      case 'del':
      case 'delete':
        return deleteToken(ctx, args);
      case 'cancel':
        return ctx.reply('Cancelled: nothing was deleted.');
      default:
        return ctx.reply(USAGE);
    }
  });
}

export function describeToken(t: TokenInfo): string {
  const quota = t.remainQuota === null ? 'unlimited' : `${formatUnits(t.remainQuota)} left`;
  const expiry = t.expiresAt ? `expires ${formatDate(t.expiresAt)}` : 'never expires';
  const models = t.models.length ? `models: ${t.models.join(', ')}` : 'all models';
  const status = t.status === 'enabled' ? '' : ` · ${t.status}`;
  return `#${t.id} ${t.name} · ${t.keyPrefix} · ${quota} · ${expiry} · ${models}${status}`;
}

async function createToken(ctx: BotContext, args: string[]): Promise<unknown> {
  // Refuse before creating: a key that cannot be shown would be a key nobody has.
  if (!(await requirePrivate(ctx, 'show new keys'))) return;
  const spec = parseTokenSpec(args);
  if (typeof spec === 'string') return ctx.reply(spec);
  const user = await linkedUser(ctx);
  const expiresAt = spec.expiresInMs === null ? null : new Date(Date.now() + spec.expiresInMs).toISOString();
  const created = await ctx.backend.createToken(user.id, { name: spec.name, quota: spec.quota, expiresAt, models: spec.models });
  return ctx.reply({
    sensitive: true,
    text:
      `Token "${created.name}" created (#${created.id}).\n` +
      `Your key, shown only this once — store it now:\n\n${created.key}\n\n` +
      `${describeToken(created)}`,
  });
}

async function deleteToken(ctx: BotContext, args: string[]): Promise<unknown> {
  const id = positiveInt(args[0]);
  if (id === null) return ctx.reply('Usage: /token del <id> (see /tokens for the ids)');
  const user = await linkedUser(ctx);
  if (args[1] === 'confirm') {
    await ctx.backend.deleteToken(user.id, id);
    return ctx.reply(`Token #${id} deleted. Apps using its key stop working now.`);
  }
  const token = (await ctx.backend.listTokens(user.id)).find((t) => t.id === id);
  if (!token) return ctx.reply(`You have no token #${id}. See /tokens.`);
  return ctx.reply({
    text: `Delete token #${token.id} "${token.name}" (${token.keyPrefix})? Apps using it will stop working.`,
    buttons: [[{ label: 'Delete', data: `/token del ${id} confirm` }, { label: 'Cancel', data: '/token cancel' }]],
  });
}
