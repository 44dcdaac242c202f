// Admin commands: channel health and operations (re-test, enable, disable: each logged like the API's, as a usage-log
// `manage` row of the admin), redemption codes, user look-up. The router refuses non-admins before any of these run,
// whoever presses a button. Codes are secrets, so like keys they are only ever shown in a private chat.
import type { ChannelInfo, UserSummary } from '../backend.js';
import { parseQuota } from '../commands.js';
import type { BotContext } from '../context.js';
import type { Messages } from '../i18n/index.js';
import { linkedUser, type Router } from '../router.js';
import type { Button } from '../types.js';
import { positiveInt, requirePrivate } from './util.js';

const MAX_CODES = 100;
/** Channels that get a row of buttons under /channels; the others are operated by typing /channel. */
const MAX_CHANNEL_ROWS = 8;
const ACTIONS = ['test', 'enable', 'disable'] as const;
type Action = (typeof ACTIONS)[number];

export function adminCommands(router: Router): void {
  router.command('channels', { access: 'admin' }, async (ctx) => {
    const channels = await ctx.backend.listChannels();
    if (channels.length === 0) return ctx.reply(ctx.t.admin.noChannels);
    await ctx.reply({
      text: ctx.t.admin.channels(channels.map((c) => ctx.t.admin.channelLine(c))),
      buttons: channels.slice(0, MAX_CHANNEL_ROWS).map((c) => channelButtons(ctx.t, c)),
    });
  });

  router.command(
    'channel',
    { access: 'admin', args: [{ name: 'action', required: true, choices: ACTIONS }, { name: 'id', type: 'integer', required: true, complete: 'channels' }] },
    async (ctx) => {
      const [action, idArg] = ctx.command?.args ?? [];
      const id = positiveInt(idArg);
      if (!isAction(action) || id === null) return ctx.reply(ctx.t.admin.channelUsage);
      const admin = await linkedUser(ctx);
      const actor = { userId: admin.id, platform: ctx.message.platform };
      if (action === 'test') {
        const result = await ctx.backend.retestChannel(id, actor);
        const c = result.channel;
        return ctx.reply({
          text: ctx.t.admin.tested(c.id, c.name, result.ok, result.status, result.responseTimeMs, result.failures),
          buttons: [channelButtons(ctx.t, c)],
        });
      }
      const channel = await ctx.backend.setChannelEnabled(id, action === 'enable', actor);
      await ctx.reply({ text: ctx.t.admin.channelNow(channel.id, channel.name, channel.status), buttons: [channelButtons(ctx.t, channel)] });
    },
  );

  router.command(
    'codes',
    { access: 'admin', args: [{ name: 'quota', required: true }, { name: 'count', type: 'integer', required: true }, { name: 'name', rest: true }] },
    async (ctx) => {
      if (!(await requirePrivate(ctx, 'codes'))) return;
      const [quotaArg, countArg, ...nameParts] = ctx.command?.args ?? [];
      const quota = quotaArg === undefined ? null : parseQuota(quotaArg);
      const count = positiveInt(countArg);
      if (quota === null || quota <= 0 || count === null || count > MAX_CODES) return ctx.reply(ctx.t.admin.codesUsage(MAX_CODES));
      const admin = await linkedUser(ctx);
      const name = nameParts.join(' ') || 'bot';
      const codes = await ctx.backend.createRedemptionCodes(admin.id, { quota, count, name });
      await ctx.reply({ sensitive: true, text: ctx.t.admin.codes(codes.length, quota, name, codes) });
    },
  );

  router.command('user', { access: 'admin', args: [{ name: 'user', required: true }] }, async (ctx) => {
    const query = ctx.command?.args[0];
    if (!query) return ctx.reply(ctx.t.admin.userUsage);
    const user = await ctx.backend.findUser(query);
    await ctx.reply(user ? describeUser(ctx, user) : ctx.t.admin.noUser(query));
  });
}

const isAction = (value: string | undefined): value is Action => (ACTIONS as readonly string[]).includes(value ?? '');

/** Re-test, and enable or disable depending on where the channel stands: the buttons of an alert and of /channels. */
export function channelButtons(t: Messages, c: Pick<ChannelInfo, 'id' | 'status'>): Button[] {
  const toggle: Button =
    c.status === 'enabled'
      ? { label: `${t.admin.disableButton} #${c.id}`, data: `/channel disable ${c.id}` }
      : { label: `${t.admin.enableButton} #${c.id}`, data: `/channel enable ${c.id}` };
  return [{ label: `${t.admin.testButton} #${c.id}`, data: `/channel test ${c.id}` }, toggle];
}

function describeUser(ctx: BotContext, u: UserSummary): string {
  return ctx.t.admin.user({ ...u, links: u.links.map((l) => `${l.platform}:${l.platformUserId}`) });
}
