// The core's commands as Discord slash commands, built from what each command declares it takes (bots/core/router.ts):
// typed options in order, fixed choices, autocomplete for groups, models, keys and channels, an image attachment on
// /chat, sub-commands for /token; descriptions in English with Chinese localizations. An invocation goes back to the
// core as the text a user would type ("/token new ci-key $5 30d"), so the core stays the only parser.
// Admin commands stay out of the menu (everyone would see them); admins type them in a DM.
import {
  ApplicationCommandOptionType,
  ApplicationIntegrationType,
  InteractionContextType,
  Routes,
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandOption,
  type ChatInputCommandInteraction,
  type REST,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { clip } from '../core/commands.js';
import { commandWords, type ArgSpec, type CommandInfo, type Lang } from '../core/index.js';

/** Telegram's deep-link entry point means nothing on Discord. */
const NOT_ON_DISCORD = new Set(['start']);
/** Answers meant for the channel; everything else (account data, keys) is shown only to the user who asked. */
const PUBLIC_COMMANDS = new Set(['chat']);
/** Discord's locales that get the Chinese words (Simplified and Traditional: one Chinese catalogue). */
const CHINESE_LOCALES = ['zh-CN', 'zh-TW'] as const;
const MAX_DESCRIPTION = 100;

const say = (text: string): string => clip(text, MAX_DESCRIPTION);

/** English for Discord's default, Chinese for its Chinese locales. */
function localized(word: (lang: Lang) => string | undefined, fallback: string): { text: string; localizations: Record<string, string> } {
  const text = say(word('en') || fallback);
  const zh = word('zh');
  return { text, localizations: zh ? Object.fromEntries(CHINESE_LOCALES.map((l) => [l, say(zh)])) : {} };
}

type Name = CommandInfo['name'];
const argWord = (command: Name, arg: string) => (lang: Lang) => commandWords(lang, command).args?.[arg];
const choiceWord = (command: Name, value: string) => (lang: Lang) => commandWords(lang, command).choices?.[value];
const subWord = (command: Name, sub: string) => (lang: Lang) => commandWords(lang, command).sub?.[sub];

function optionOf(command: Name, arg: ArgSpec): APIApplicationCommandBasicOption {
  const { text, localizations } = localized(argWord(command, arg.name), arg.name);
  const base = { name: arg.name, description: text, description_localizations: localizations, required: arg.required ?? false };
  if (arg.image) return { ...base, type: ApplicationCommandOptionType.Attachment };
  const type = arg.type === 'integer' ? ApplicationCommandOptionType.Integer : ApplicationCommandOptionType.String;
  if (arg.choices) {
    const choices = arg.choices.map((value) => {
      const label = localized(choiceWord(command, value), value);
      return { name: label.text, name_localizations: label.localizations, value };
    });
    return { ...base, type: ApplicationCommandOptionType.String, choices };
  }
  if (type === ApplicationCommandOptionType.Integer) return { ...base, type, min_value: 1, autocomplete: arg.complete !== undefined };
  return { ...base, type, autocomplete: arg.complete !== undefined };
}

function optionsOf(c: CommandInfo): APIApplicationCommandOption[] {
  if (c.subcommands) {
    return Object.entries(c.subcommands).map(([sub, args]) => {
      const { text, localizations } = localized(subWord(c.name, sub), sub);
      return {
        type: ApplicationCommandOptionType.Subcommand,
        name: sub,
        description: text,
        description_localizations: localizations,
        options: args.map((a) => optionOf(c.name, a)),
      };
    });
  }
  return (c.args ?? []).map((a) => optionOf(c.name, a));
}

export function slashCommandDefinitions(commands: readonly CommandInfo[], global: boolean): RESTPutAPIApplicationCommandsJSONBody {
  return commands
    .filter((c) => c.access !== 'admin' && !NOT_ON_DISCORD.has(c.name))
    .map((c) => {
      const { text, localizations } = localized(c.description, c.name);
      return {
        name: c.name,
        description: text,
        description_localizations: localizations,
        options: optionsOf(c),
        // Global commands work in servers and in the bot's DMs; guild commands only exist in their guild anyway.
        ...(global ? { contexts: [InteractionContextType.Guild, InteractionContextType.BotDM], integration_types: [ApplicationIntegrationType.GuildInstall] } : {}),
      };
    });
}

/** Replaces the application's commands (globally, or in one guild: guild commands update at once, handy in testing). */
export async function registerSlashCommands(
  rest: REST,
  applicationId: string,
  guildId: string | undefined,
  commands: readonly CommandInfo[],
): Promise<void> {
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  await rest.put(route, { body: slashCommandDefinitions(commands, !guildId) });
}

/** The arguments a command (or its sub-command) declares. */
export function argsOf(command: CommandInfo | undefined, sub: string | null): readonly ArgSpec[] {
  if (!command) return [];
  return sub ? (command.subcommands?.[sub] ?? []) : (command.args ?? []);
}

/** The text the core parses: "/name [sub] value value …", the options in their declared order, images left out. */
export function commandText(interaction: ChatInputCommandInteraction, commands: readonly CommandInfo[]): string {
  const sub = interaction.options.getSubcommand(false);
  const args = argsOf(
    commands.find((c) => c.name === interaction.commandName),
    sub,
  );
  const values = args.filter((a) => !a.image).map((a) => interaction.options.get(a.name)?.value);
  return [`/${interaction.commandName}`, sub, ...values.filter((v) => v !== undefined && v !== null && v !== '').map(String)]
    .filter(Boolean)
    .join(' ');
}

export function isPublicCommand(name: string): boolean {
  return PUBLIC_COMMANDS.has(name);
}
