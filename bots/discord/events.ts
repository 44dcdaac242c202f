// Discord events turned into core messages. Interactions are deferred first (Discord drops an interaction that is not
// acknowledged within 3 seconds; a model answer takes longer), then the core answers through an InteractionTransport.
// DM text goes to the core as is: commands as commands, anything else as chat.
import {
  InteractionContextType,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type User,
} from 'discord.js';
import type { BotCore, IncomingMessage, Reply } from '../core/index.js';
import type { ChannelTransport } from './channel-transport.js';
import { commandText, isPublicCommand } from './commands.js';
import { InteractionTransport } from './interaction-transport.js';

export interface DiscordHandlerDeps {
  core: BotCore;
  channels: ChannelTransport;
  minEditIntervalMs: number;
}

export async function onInteraction(interaction: Interaction, deps: DiscordHandlerDeps): Promise<void> {
  if (interaction.isChatInputCommand()) return onSlashCommand(interaction, deps);
  if (interaction.isButton()) return onButton(interaction, deps);
}

async function onSlashCommand(interaction: ChatInputCommandInteraction, deps: DiscordHandlerDeps): Promise<void> {
  const ephemeral = !isPublicCommand(interaction.commandName);
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  const transport = new InteractionTransport(interaction, { ephemeral, updatesMessage: false, ...shared(deps) });
  await deps.core.handle(incoming(interaction, commandText(interaction)), transport);
  await transport.dismiss();
}

/** A button's data is the command text the core asked to get back ("/token del 3 confirm"). */
async function onButton(interaction: ButtonInteraction, deps: DiscordHandlerDeps): Promise<void> {
  // Type 6: the answer replaces the message with the buttons, so a confirmation cannot be pressed twice.
  await interaction.deferUpdate();
  const ephemeral = interaction.message.flags.has(MessageFlags.Ephemeral);
  const transport = new InteractionTransport(interaction, { ephemeral, updatesMessage: true, ...shared(deps) });
  await deps.core.handle(incoming(interaction, interaction.customId), transport);
}

export async function onMessage(message: Message, deps: DiscordHandlerDeps): Promise<void> {
  // Only DMs: guild text needs the privileged MessageContent intent; in servers the bot works through slash commands.
  if (message.author.bot || message.inGuild() || !message.content) return;
  await deps.core.handle(
    {
      platform: 'discord',
      userId: message.author.id,
      chatId: message.channelId,
      isPrivate: true,
      text: message.content,
      displayName: displayName(message.author),
      messageId: message.id,
    },
    deps.channels,
  );
}

function incoming(interaction: ChatInputCommandInteraction | ButtonInteraction, text: string): IncomingMessage {
  return {
    platform: 'discord',
    userId: interaction.user.id,
    chatId: interaction.channelId ?? interaction.user.id,
    isPrivate: isBotDm(interaction),
    text,
    displayName: displayName(interaction.user),
    messageId: interaction.id,
    locale: interaction.locale,
  };
}

/**
 * Only the bot's own DM is private; a server channel or a group DM (user-installed apps) is not. Payloads without a
 * context predate group DMs: there, no guild means the bot's DM.
 */
function isBotDm(interaction: ChatInputCommandInteraction | ButtonInteraction): boolean {
  if (interaction.context !== null) return interaction.context === InteractionContextType.BotDM;
  return !interaction.guildId;
}

function displayName(user: User): string {
  return user.globalName ?? user.username;
}

function shared(deps: DiscordHandlerDeps) {
  return {
    minEditIntervalMs: deps.minEditIntervalMs,
    sendToUser: (userId: string, reply: Reply) => deps.channels.sendToUser(userId, reply),
  };
}
