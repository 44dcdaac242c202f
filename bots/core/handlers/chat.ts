// Chatting with a model and the chat settings. In a private chat every plain message is a chat message; in a group
// the bot stays quiet unless asked: "/chat <text>" once, or "/chat" to send the user's following messages there too.
import { formatUnits, parseQuota } from '../commands.js';
import type { BotContext } from '../context.js';
import { chatTurn } from '../conversation.js';
import { linkedUser, NOT_LINKED, type Router } from '../router.js';

export function chatCommands(router: Router): void {
  router.command('chat', { description: 'Chat with a model (in groups: turn chat mode on/off)', usage: '[text | off]', access: 'linked' }, async (ctx) => {
    const rest = ctx.command?.rest ?? '';
    if (rest.toLowerCase() === 'off') {
      ctx.state.chatMode.delete(ctx.chatUserKey);
      return ctx.reply('Chat mode off: I only answer commands here now.');
    }
    const user = await linkedUser(ctx);
    if (rest) return chatTurn(ctx, user, rest);
    if (ctx.chat.isPrivate) return ctx.reply('Just send me a message: here, everything you write goes to the model.');
    ctx.state.chatMode.add(ctx.chatUserKey);
    const { chatModel } = await ctx.backend.getSettings(user.id);
    return ctx.reply(`Chat mode on: your messages here now go to ${chatModel}. Stop with /chat off.`);
  });

  router.command('new', { description: 'Start a new conversation', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const { chatModel } = await ctx.backend.getSettings(user.id);
    await ctx.backend.newConversation({ platform: ctx.message.platform, chatId: ctx.chat.id, userId: user.id }, chatModel);
    await ctx.reply(`New conversation started with ${chatModel}.`);
  });

  router.command('model', { description: 'Show or change your chat model', usage: '[name | default]', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const name = ctx.command?.args[0];
    if (!name) {
      const { chatModel } = await ctx.backend.getSettings(user.id);
      return ctx.reply(`Your chat model: ${chatModel}. Change it with /model <name> (see /models).`);
    }
    if (name.toLowerCase() !== 'default') {
      const models = await ctx.backend.listModels(user.id);
      if (!models.includes(name)) return ctx.reply(`${name} isn't available in your group. See /models.`);
    }
    const settings = await ctx.backend.updateSettings(user.id, { chatModel: name.toLowerCase() === 'default' ? null : name });
    const key = { platform: ctx.message.platform, chatId: ctx.chat.id, userId: user.id };
    const conversation = await ctx.backend.activeConversation(key, settings.chatModel);
    if (conversation.model !== settings.chatModel) await ctx.backend.setConversationModel(conversation.id, settings.chatModel);
    await ctx.reply(`Chat model set to ${settings.chatModel}.`);
  });

  router.command('title', { description: 'Automatic conversation titles on or off', usage: 'on | off | default', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const arg = ctx.command?.args[0]?.toLowerCase();
    const values: Record<string, boolean | null> = { on: true, off: false, default: null };
    if (arg === undefined || !(arg in values)) {
      const { autoTitle } = await ctx.backend.getSettings(user.id);
      return ctx.reply(`Automatic titles are ${autoTitle ? 'on' : 'off'}. Usage: /title on | off | default`);
    }
    const settings = await ctx.backend.updateSettings(user.id, { autoTitle: values[arg]! });
    await ctx.reply(
      settings.autoTitle
        ? 'Automatic titles on: each new conversation gets a short title (one small extra model call, billed).'
        : 'Automatic titles off.',
    );
  });

  router.command('notify', { description: 'Warn me when my balance falls below an amount', usage: '<units | $amount> | off', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const arg = ctx.command?.args[0];
    if (arg?.toLowerCase() === 'off') {
      await ctx.backend.updateSettings(user.id, { lowQuotaNotice: null });
      return ctx.reply('Low-balance warnings off.');
    }
    const units = arg === undefined ? null : parseQuota(arg);
    if (units === null || units <= 0) {
      const { lowQuotaNotice } = await ctx.backend.getSettings(user.id);
      const now = lowQuotaNotice === null ? 'off' : `at ${formatUnits(lowQuotaNotice)}`;
      return ctx.reply(`Low-balance warning is ${now}. Usage: /notify <units | $amount> | off`);
    }
    await ctx.backend.updateSettings(user.id, { lowQuotaNotice: units });
    await ctx.reply(`I'll warn you when your balance falls below ${formatUnits(units)}.`);
  });

  router.text(async (ctx, next) => {
    if (!ctx.chat.isPrivate && !ctx.state.chatMode.has(ctx.chatUserKey)) return next();
    const text = ctx.text.trim();
    if (!text) return next();
    const user = await ctx.user();
    if (!user) return ctx.reply(await notLinkedWithRegistration(ctx));
    await chatTurn(ctx, user, text);
  });
}

async function notLinkedWithRegistration(ctx: BotContext): Promise<string> {
  return (await ctx.backend.registrationOpen()) ? `${NOT_LINKED}\nNo account yet? Send /register to create one.` : NOT_LINKED;
}
