// Chatting with a model and the chat settings. In a private chat every plain message is a chat message; in a group
// the bot stays quiet unless asked: a message that @-mentions it, "/chat <text>" once, or "/chat" to send the user's
// following messages there too (chat mode, stored per user and chat, so it survives a restart or a takeover).
import { parseQuota } from '../commands.js';
import type { BotContext } from '../context.js';
import { chatTurn } from '../conversation.js';
import { linkedUser, type Router } from '../router.js';
import type { Messages } from '../i18n/index.js';
import type { Button } from '../types.js';
import { pairs, positiveInt } from './util.js';

/** Models per page of the /model picker (two per row). */
export const MODELS_PER_PAGE = 8;
/** Longer names are picked by number ("/model #12"), so the button's data stays within Telegram's 64 bytes. */
const MAX_NAME_IN_BUTTON = 40;

const SETTING_CHOICES = ['on', 'off', 'default'] as const;
const SETTING_VALUES: Record<string, boolean | null> = { on: true, off: false, default: null };

export function chatCommands(router: Router): void {
  router.command('chat', { access: 'linked', args: [{ name: 'text', rest: true }, { name: 'image', image: true }] }, async (ctx) => {
    const rest = ctx.command?.rest ?? '';
    if (rest.toLowerCase() === 'off') {
      await ctx.backend.setChatMode(ctx.chatKey, false);
      return ctx.reply(ctx.t.chat.modeOff);
    }
    const user = await linkedUser(ctx);
    if (rest || ctx.message.images?.length) return chatTurn(ctx, user, rest);
    if (ctx.chat.isPrivate) return ctx.reply(ctx.t.chat.privateHint);
    await ctx.backend.setChatMode(ctx.chatKey, true);
    const { chatModel } = await ctx.backend.getSettings(user.id);
    return ctx.reply(ctx.t.chat.modeOn(chatModel));
  });

  router.command('new', { access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const { chatModel } = await ctx.backend.getSettings(user.id);
    await ctx.backend.newConversation({ platform: ctx.message.platform, chatId: ctx.chat.id, userId: user.id }, chatModel);
    await ctx.reply(ctx.t.chat.newConversation(chatModel));
  });

  router.command('model', { access: 'linked', args: [{ name: 'name', complete: 'models' }] }, async (ctx) => {
    const user = await linkedUser(ctx);
    const [arg, pageArg] = ctx.command?.args ?? [];
    if (arg === undefined || arg === 'page') return modelPicker(ctx, user.id, positiveInt(pageArg) ?? 1);
    let name: string | null = arg;
    if (arg.toLowerCase() === 'default') {
      name = null;
    } else {
      const models = await ctx.backend.listModels(user.id);
      const picked = /^#\d+$/.test(arg) ? models[Number(arg.slice(1)) - 1] : arg;
      if (picked === undefined || !models.includes(picked)) return ctx.reply(ctx.t.chat.modelNotAvailable(arg));
      name = picked;
    }
    const settings = await ctx.backend.updateSettings(user.id, { chatModel: name });
    const key = { platform: ctx.message.platform, chatId: ctx.chat.id, userId: user.id };
    const conversation = await ctx.backend.activeConversation(key, settings.chatModel);
    if (conversation.model !== settings.chatModel) await ctx.backend.setConversationModel(conversation.id, settings.chatModel);
    await ctx.reply(ctx.t.chat.modelSet(settings.chatModel));
  });

  settingCommand(router, 'title', 'autoTitle', (t, on) => (on ? t.chat.titleOn : t.chat.titleOff), (t, on) => t.chat.titleState(on));
  settingCommand(router, 'receipt', 'receipts', (t, on) => (on ? t.chat.receiptOn : t.chat.receiptOff), (t, on) => t.chat.receiptState(on));

  router.command('notify', { access: 'linked', args: [{ name: 'amount' }] }, async (ctx) => {
    const user = await linkedUser(ctx);
    const arg = ctx.command?.args[0];
    if (arg?.toLowerCase() === 'off') {
      await ctx.backend.updateSettings(user.id, { lowQuotaNotice: null });
      return ctx.reply(ctx.t.chat.notifyOff);
    }
    const units = arg === undefined ? null : parseQuota(arg);
    if (units === null || units <= 0) {
      const { lowQuotaNotice } = await ctx.backend.getSettings(user.id);
      return ctx.reply(ctx.t.chat.notifyState(lowQuotaNotice));
    }
    await ctx.backend.updateSettings(user.id, { lowQuotaNotice: units });
    await ctx.reply(ctx.t.chat.notifySet(units));
  });

  router.text(async (ctx, next) => {
    const hasImage = (ctx.message.images?.length ?? 0) > 0;
    const text = ctx.text.trim();
    if (!text && !hasImage) return next();
    const addressed = ctx.chat.isPrivate || ctx.message.addressed === true || (await ctx.backend.chatMode(ctx.chatKey));
    if (!addressed) return next();
    const user = await ctx.user();
    if (!user) {
      const register = (await ctx.backend.registrationOpen()) ? `\n${ctx.t.notLinkedRegister}` : '';
      return ctx.reply(`${ctx.t.notLinked}${register}`);
    }
    await chatTurn(ctx, user, text);
  });
}

/**
 * An on / off / default setting of the user's (/title, /receipt): without an argument it shows where it stands, with
 * buttons; "default" follows the admin's option again.
 */
function settingCommand(
  router: Router,
  command: 'title' | 'receipt',
  setting: 'autoTitle' | 'receipts',
  changed: (t: Messages, on: boolean) => string,
  state: (t: Messages, on: boolean) => string,
): void {
  router.command(command, { access: 'linked', args: [{ name: 'setting', choices: SETTING_CHOICES }] }, async (ctx) => {
    const user = await linkedUser(ctx);
    const arg = ctx.command?.args[0]?.toLowerCase();
    if (arg === undefined || !(arg in SETTING_VALUES)) {
      const labels = ctx.t.commands[command].choices;
      const buttons = SETTING_CHOICES.map((value) => ({ label: labels[value], data: `/${command} ${value}` }));
      return ctx.reply({ text: state(ctx.t, (await ctx.backend.getSettings(user.id))[setting]), buttons: [buttons] });
    }
    const settings = await ctx.backend.updateSettings(user.id, { [setting]: SETTING_VALUES[arg]! });
    await ctx.reply(changed(ctx.t, settings[setting]));
  });
}

/** The current model and a page of the others as buttons, with ◀ ▶ to page and ↺ to go back to the default. */
async function modelPicker(ctx: BotContext, userId: number, requested: number): Promise<unknown> {
  const [{ chatModel }, models] = await Promise.all([ctx.backend.getSettings(userId), ctx.backend.listModels(userId)]);
  if (models.length === 0) return ctx.reply(ctx.t.groups.noModels);
  const pages = Math.ceil(models.length / MODELS_PER_PAGE);
  const page = Math.min(requested, pages);
  const first = (page - 1) * MODELS_PER_PAGE;
  const choices: Button[] = models.slice(first, first + MODELS_PER_PAGE).map((m, i) => ({
    label: m === chatModel ? `✓ ${m}` : m,
    data: m.length <= MAX_NAME_IN_BUTTON ? `/model ${m}` : `/model #${first + i + 1}`,
  }));
  const nav: Button[] = [];
  if (page > 1) nav.push({ label: ctx.t.chat.previous, data: `/model page ${page - 1}` });
  nav.push({ label: ctx.t.chat.modelDefault, data: '/model default' });
  if (page < pages) nav.push({ label: ctx.t.chat.next, data: `/model page ${page + 1}` });
  return ctx.reply({ text: ctx.t.chat.pick(chatModel, page, pages), buttons: [...pairs(choices), nav] });
}
