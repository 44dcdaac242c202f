// The core's command set as Discord slash commands. Each command takes its arguments as one free-text option, so
// "/token input:new ci-key $5" reaches the core as "/token new ci-key $5" and the core stays the only parser.
// Admin commands stay out of the menu (everyone would see them); admins type them in a DM.
import {
  ApplicationCommandOptionType,
  ApplicationIntegrationType,
  InteractionContextType,
  Routes,
  type ChatInputCommandInteraction,
  type REST,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { CommandInfo } from '../core/index.js';

/** The option every command's arguments go into. */
export const INPUT_OPTION = 'input';
/** Telegram's deep-link entry point means nothing on Discord. */
const NOT_ON_DISCORD = new Set(['start']);
/** Answers meant for the channel; everything else (account data, keys) is shown only to the user who asked. */
const PUBLIC_COMMANDS = new Set(['chat']);

const MAX_DESCRIPTION = 100;

export function slashCommandDefinitions(commands: readonly CommandInfo[], global: boolean): RESTPutAPIApplicationCommandsJSONBody {
  return commands
    .filter((c) => c.access !== 'admin' && !NOT_ON_DISCORD.has(c.name))
    .map((c) => ({
      name: c.name,
      description: clip(c.description) || c.name,
      options: c.usage
        ? [
            {
              type: ApplicationCommandOptionType.String,
              name: INPUT_OPTION,
              description: clip(c.usage),
              // Only "<code>"-style usages cannot do without; the rest answer with their usage or current state.
              required: c.usage.startsWith('<'),
            },
          ]
        : [],
      // Global commands work in servers and in the bot's DMs; guild commands only exist in their guild anyway.
      ...(global ? { contexts: [InteractionContextType.Guild, InteractionContextType.BotDM], integration_types: [ApplicationIntegrationType.GuildInstall] } : {}),
    }));
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

/** The text the core parses: "/name input". */
export function commandText(interaction: ChatInputCommandInteraction): string {
  const input = interaction.options.getString(INPUT_OPTION)?.trim();
  return input ? `/${interaction.commandName} ${input}` : `/${interaction.commandName}`;
}

export function isPublicCommand(name: string): boolean {
  return PUBLIC_COMMANDS.has(name);
}

function clip(text: string): string {
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}
