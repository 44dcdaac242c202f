// The platform-neutral bot: one function per incoming message. Each adapter calls handle(message, transport); the
// core parses the command once, runs the router, and turns any throw into a friendly answer (BotError → describeError).
//
//   IncomingMessage → parseCommand → [addressed to us?] → router: help, account, tokens, groups, chat, admin → unknown
//                                                          └ throw → BotError → RelayError: sentence | other: "ref <id>"
import type { BotBackend } from './backend.js';
import { isAddressedTo, parseCommand } from './commands.js';
import { BotContext, type CoreState } from './context.js';
import { BotError, describeError, type BotLogger } from './errors.js';
import { accountCommands } from './handlers/account.js';
import { adminCommands } from './handlers/admin.js';
import { chatCommands } from './handlers/chat.js';
import { groupCommands } from './handlers/groups.js';
import { helpCommands } from './handlers/help.js';
import { tokenCommands } from './handlers/tokens.js';
import { Router, type CommandInfo } from './router.js';
import type { ChatTransport, IncomingMessage } from './types.js';

export interface BotCoreOptions {
  backend: BotBackend;
  log: BotLogger;
}

export interface BotCore {
  /** Handles one message (or button press, whose data arrives as the text). Never throws. */
  handle(message: IncomingMessage, transport: ChatTransport): Promise<void>;
  /** Every command, for the platform's command menu; `access: 'admin'` ones are best left out of public menus. */
  readonly commands: readonly CommandInfo[];
}

export function createBotCore(opts: BotCoreOptions): BotCore {
  const { backend, log } = opts;
  const state: CoreState = { chatMode: new Set() };
  const router = new Router();
  helpCommands(router);
  accountCommands(router);
  tokenCommands(router);
  groupCommands(router);
  chatCommands(router);
  adminCommands(router);
  router.use(async (ctx) => {
    // Unknown commands: answer in a private chat; in a group they are probably for another bot.
    if (ctx.command && ctx.chat.isPrivate) await ctx.reply(`I don't know /${ctx.command.name}. See /help.`);
  });
  const run = router.middleware();

  return {
    commands: router.commands,
    async handle(message, transport) {
      const command = parseCommand(message.text);
      if (command && !isAddressedTo(command, transport.botUsername)) return;
      const ctx = new BotContext(message, transport, backend, log, state, command);
      try {
        await run(ctx, async () => {});
      } catch (err) {
        const where = { platform: message.platform, command: command?.name ?? null, chatId: message.chatId };
        const text = describeError(new BotError(err, ctx), log, where);
        await ctx.reply(text).catch((replyErr: unknown) => log.warn({ ...where, err: replyErr }, 'could not send the error reply'));
      }
    },
  };
}
