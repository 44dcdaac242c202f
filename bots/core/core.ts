// The platform-neutral bot: one function per incoming message. Each adapter calls handle(message, transport); the
// core parses the command once, picks the user's language, runs the router, and turns any throw into a friendly
// answer in that language (BotError → describeError).
//
//   IncomingMessage → parseCommand → [addressed to us?] → language (/lang, app locale, platform default)
//     → [a numbered choice? → its command] → router: help, account, tokens, groups, chat, admin → unknown
//                                              └ throw → BotError → RelayError: sentence + next step | other: "ref <id>"
import type { BotBackend } from './backend.js';
import { choiceNumber } from './buttons.js';
import { isAddressedTo, parseCommand } from './commands.js';
import { BotContext } from './context.js';
import { BotError, describeError, type BotLogger } from './errors.js';
import { accountCommands } from './handlers/account.js';
import { adminCommands } from './handlers/admin.js';
import { chatCommands } from './handlers/chat.js';
import { groupCommands } from './handlers/groups.js';
import { helpCommands } from './handlers/help.js';
import { tokenCommands } from './handlers/tokens.js';
import { chooseLang, messages, type Lang } from './i18n/index.js';
import { Router, type CommandInfo, type Suggestions } from './router.js';
import { suggest, type Suggestion } from './suggestions.js';
import type { ChatTransport, IncomingMessage, Platform } from './types.js';

export interface BotCoreOptions {
  backend: BotBackend;
  log: BotLogger;
  /** Each message addressed to the bot (metrics: bot messages by platform). */
  onMessage?: (platform: Platform) => void;
}

/** Who is asking, where the platform says nothing more (Discord autocomplete). */
export interface Asker {
  platform: Platform;
  userId: string;
  locale?: string;
}

export interface BotCore {
  /** Handles one message (or button press, whose command arrives as the text). Never throws. */
  handle(message: IncomingMessage, transport: ChatTransport): Promise<void>;
  /** Every command, for the platform's command menu; `access: 'admin'` ones are best left out of public menus. */
  readonly commands: readonly CommandInfo[];
  /** The language this user gets (their /lang choice, else the app's locale, else the platform's default). */
  languageOf(asker: Asker): Promise<Lang>;
  /** Suggestions for an argument as the user types it (their groups, models, keys; channels for admins). */
  suggest(asker: Asker, kind: Suggestions, typed: string): Promise<Suggestion[]>;
}

export function createBotCore(opts: BotCoreOptions): BotCore {
  const { backend, log } = opts;
  const router = new Router();
  helpCommands(router);
  accountCommands(router);
  tokenCommands(router);
  groupCommands(router);
  chatCommands(router);
  adminCommands(router);
  router.use(async (ctx) => {
    // Unknown commands: answer in a private chat; in a group they are probably for another bot.
    if (ctx.command && ctx.chat.isPrivate) await ctx.reply(ctx.t.unknownCommand(ctx.command.name));
  });
  const run = router.middleware();

  const languageOf = async (asker: Asker): Promise<Lang> =>
    chooseLang(await backend.getLanguage(asker.platform, asker.userId), asker.locale, asker.platform);

  return {
    commands: router.commands,
    languageOf,
    async suggest(asker, kind, typed) {
      try {
        return await suggest(backend, asker, kind, typed);
      } catch (err) {
        log.warn({ err, platform: asker.platform, kind }, 'could not list suggestions');
        return [];
      }
    },
    async handle(incoming, transport) {
      let message = incoming;
      let command = parseCommand(message.text);
      if (command && !isAddressedTo(command, transport.botUsername)) return;
      opts.onMessage?.(message.platform);
      const where = { platform: message.platform, command: command?.name ?? null, chatId: message.chatId };
      let lang: Lang = 'en';
      try {
        lang = await languageOf(message);
        transport.useLanguage?.(lang);
        // "2" answering numbered choices (platforms without buttons) stands for the second choice's command.
        const n = !command && transport.buttons === 'numbered' ? choiceNumber(message.text) : null;
        const chosen = n === null ? null : await backend.takeChoice({ platform: message.platform, chatId: message.chatId, platformUserId: message.userId }, n);
        if (chosen) {
          message = { ...message, text: chosen };
          command = parseCommand(chosen);
        }
      } catch (err) {
        const text = describeError(err, log, messages(lang), where);
        await transport.send(message.chatId, { text }).catch((replyErr: unknown) => log.warn({ ...where, err: replyErr }, 'could not send the error reply'));
        return;
      }
      const ctx = new BotContext(message, transport, backend, log, command, lang);
      try {
        await run(ctx, async () => {});
      } catch (err) {
        const text = describeError(new BotError(err, ctx), log, ctx.t, where);
        await ctx.reply(text).catch((replyErr: unknown) => log.warn({ ...where, err: replyErr }, 'could not send the error reply'));
      }
    },
  };
}
