// /start, /help and /lang. The command list comes from the router, so it never drifts from what is registered.
// Telegram's deep link "t.me/<bot>?start=<code>" arrives as "/start <code>" and links the account.
import type { BotContext } from '../context.js';
import { isLang, langOf, LANGS, messages } from '../i18n/index.js';
import type { CommandInfo, Router } from '../router.js';
import { link } from './account.js';

const LANG_CHOICES = [...LANGS, 'auto'] as const;

export function helpCommands(router: Router): void {
  router.command('start', { access: 'anyone' }, async (ctx) => {
    const code = ctx.command?.args[0];
    if (code) return link(ctx, code);
    await ctx.reply(await helpText(ctx, router.commands, true));
  });
  router.command('help', { access: 'anyone' }, async (ctx) => {
    await ctx.reply(await helpText(ctx, router.commands, false));
  });

  router.command('lang', { access: 'anyone', args: [{ name: 'language', choices: LANG_CHOICES }] }, async (ctx) => {
    const arg = ctx.command?.args[0]?.toLowerCase();
    const { platform, userId } = ctx.message;
    if (arg === 'auto') {
      await ctx.backend.setLanguage(platform, userId, null);
      const lang = langOf(ctx.message.locale) ?? ctx.lang;
      return ctx.reply(messages(lang).lang.auto);
    }
    const chosen = arg === 'cn' ? 'zh' : arg;
    if (isLang(chosen)) {
      await ctx.backend.setLanguage(platform, userId, chosen);
      return ctx.reply(messages(chosen).lang.set);
    }
    if (arg !== undefined) return ctx.reply(ctx.t.lang.usage);
    const stored = await ctx.backend.getLanguage(platform, userId);
    const choices = ctx.t.commands.lang.choices;
    return ctx.reply({
      text: ctx.t.lang.current(ctx.t.name, stored !== null),
      buttons: [LANG_CHOICES.map((value) => ({ label: choices[value], data: `/lang ${value}` }))],
    });
  });
}

async function helpText(ctx: BotContext, commands: readonly CommandInfo[], welcome: boolean): Promise<string> {
  const { t, lang } = ctx;
  const user = await ctx.user();
  const admin = user ? await ctx.backend.isAdmin(user.id) : false;
  const line = (c: CommandInfo): string => `/${c.name}${c.usage(lang) ? ` ${c.usage(lang)}` : ''} — ${c.description(lang)}`;
  const sections = [commands.filter((c) => c.access !== 'admin' && c.name !== 'start').map(line).join('\n')];
  if (admin) sections.push(`${t.help.admin}\n${commands.filter((c) => c.access === 'admin').map(line).join('\n')}`);
  const intro = user
    ? t.help.linkedAs(user.username, ctx.chat.isPrivate)
    : t.help.linkFirst + ((await ctx.backend.registrationOpen()) ? ` ${t.help.registerHint}` : '');
  return [welcome ? `${t.help.welcome}\n${intro}` : intro, ...sections].join('\n\n');
}
