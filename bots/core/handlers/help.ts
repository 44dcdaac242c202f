// /start and /help: the command list comes from the router, so it never drifts from what is registered.
// Telegram's deep link "t.me/<bot>?start=<code>" arrives as "/start <code>" and links the account.
import type { BotContext } from '../context.js';
import type { CommandInfo, Router } from '../router.js';
import { link } from './account.js';

export function helpCommands(router: Router): void {
  router.command('start', { description: 'Welcome and help', access: 'anyone' }, async (ctx) => {
    const code = ctx.command?.args[0];
    if (code) return link(ctx, code);
    await ctx.reply(await helpText(ctx, router.commands, true));
  });
  router.command('help', { description: 'What I can do', access: 'anyone' }, async (ctx) => {
    await ctx.reply(await helpText(ctx, router.commands, false));
  });
}

async function helpText(ctx: BotContext, commands: readonly CommandInfo[], welcome: boolean): Promise<string> {
  const user = await ctx.user();
  const admin = user ? await ctx.backend.isAdmin(user.id) : false;
  const line = (c: CommandInfo): string => `/${c.name}${c.usage ? ` ${c.usage}` : ''} — ${c.description}`;
  const sections = [commands.filter((c) => c.access !== 'admin' && c.name !== 'start').map(line).join('\n')];
  if (admin) sections.push(`Admin:\n${commands.filter((c) => c.access === 'admin').map(line).join('\n')}`);
  const intro = user
    ? `You're linked as ${user.username}.${ctx.chat.isPrivate ? ' Send me any message to chat with a model.' : ''}`
    : 'Link your relay account first: create a link code in the web console and send me /link <code> in a private chat.' +
      ((await ctx.backend.registrationOpen()) ? ' No account yet? /register creates one.' : '');
  return [welcome ? `Hi! I manage your relay account and let you chat with models.\n${intro}` : intro, ...sections].join('\n\n');
}
