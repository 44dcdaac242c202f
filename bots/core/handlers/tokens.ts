// Relay tokens (API keys). A new key is shown once and only in a private chat: the check is here, in the core, so no
// adapter can get it wrong. The list carries a delete button per key; deleting asks for a confirmation first.
import { parseTokenSpec } from '../commands.js';
import type { BotContext } from '../context.js';
import { linkedUser, type Router } from '../router.js';
import type { Button } from '../types.js';
import { pairs, positiveInt, requirePrivate } from './util.js';

/** Delete buttons under /tokens, two per row; more keys than this are deleted by typing /token del <id>. */
const MAX_DELETE_BUTTONS = 10;

export function tokenCommands(router: Router): void {
  router.command('tokens', { access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const tokens = await ctx.backend.listTokens(user.id);
    if (tokens.length === 0) return ctx.reply(ctx.t.tokens.none);
    const buttons: Button[] = tokens.slice(0, MAX_DELETE_BUTTONS).map((t) => ({ label: ctx.t.tokens.deleteButton(t.id, t.name), data: `/token del ${t.id}` }));
    await ctx.reply({ text: ctx.t.tokens.list(tokens.map((t) => ctx.t.tokens.line(t))), buttons: pairs(buttons) });
  });

  router.command(
    'token',
    {
      access: 'linked',
      subcommands: {
        new: [{ name: 'name', required: true }, { name: 'quota' }, { name: 'expiry' }, { name: 'models', complete: 'models' }],
        del: [{ name: 'id', type: 'integer', required: true, complete: 'tokens' }],
      },
    },
    async (ctx) => {
      const [sub, ...args] = ctx.command?.args ?? [];
      switch (sub?.toLowerCase()) {
        case 'new':
        case 'create':
          return createToken(ctx, args);
        case 'del':
        case 'delete':
          return deleteToken(ctx, args);
        case 'cancel':
          return ctx.reply(ctx.t.tokens.cancelled);
        default:
          return ctx.reply(ctx.t.tokens.usage);
      }
    },
  );
}

async function createToken(ctx: BotContext, args: string[]): Promise<unknown> {
  // Refuse before creating: a key that cannot be shown would be a key nobody has.
  if (!(await requirePrivate(ctx, 'keys'))) return;
  const spec = parseTokenSpec(args);
  if (typeof spec === 'function') return ctx.reply(spec(ctx.t.tokens));
  const user = await linkedUser(ctx);
  const expiresAt = spec.expiresInMs === null ? null : new Date(Date.now() + spec.expiresInMs).toISOString();
  const created = await ctx.backend.createToken(user.id, { name: spec.name, quota: spec.quota, expiresAt, models: spec.models });
  return ctx.reply({ sensitive: true, text: ctx.t.tokens.created(created.name, created.id, created.key, ctx.t.tokens.line(created)) });
}

async function deleteToken(ctx: BotContext, args: string[]): Promise<unknown> {
  const id = positiveInt(args[0]);
  if (id === null) return ctx.reply(ctx.t.tokens.delUsage);
  const user = await linkedUser(ctx);
  if (args[1] === 'confirm') {
    await ctx.backend.deleteToken(user.id, id);
    return ctx.reply(ctx.t.tokens.deleted(id));
  }
  const token = (await ctx.backend.listTokens(user.id)).find((t) => t.id === id);
  if (!token) return ctx.reply(ctx.t.tokens.notFound(id));
  return ctx.reply({
    text: ctx.t.tokens.confirm(token.id, token.name, token.keyPrefix),
    buttons: [[{ label: ctx.t.tokens.deleteLabel, data: `/token del ${id} confirm` }, { label: ctx.t.tokens.cancelLabel, data: '/token cancel' }]],
  });
}
