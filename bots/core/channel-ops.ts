// The bots' channel operations in one place: health for /channels, and re-test / enable / disable from a chat. Each
// goes through the same services as the management API (src/services/channels.ts, src/relay/channel-test.ts) and is
// logged like an API action: a `manage` row in the usage log of the admin who did it (source: the platform), plus a
// log line. Keeping them here makes them easy to re-point when channel health grows (circuit breaker, key health).
import { redactSecrets } from '../../src/auth/redact.js';
import type { AppContext } from '../../src/context.js';
import { RelayError } from '../../src/errors.js';
import { testChannel } from '../../src/relay/channel-test.js';
import type { Forwarder } from '../../src/relay/forward.js';
import { getChannel, listChannels, updateChannel, type ChannelView } from '../../src/services/channels.js';
import { channelHealth } from '../../src/services/insights.js';
import type { AdminActor, ChannelInfo, ChannelTestInfo } from './backend.js';

export interface ChannelOps {
  list(): Promise<ChannelInfo[]>;
  setEnabled(channelId: number, enabled: boolean, actor: AdminActor): Promise<ChannelInfo>;
  retest(channelId: number, actor: AdminActor): Promise<ChannelTestInfo & { channel: ChannelInfo }>;
}

const MAX_CHANNELS = 200;

type Health = Pick<ChannelInfo, 'requests24h' | 'errors24h' | 'lastError'>;
const NO_TRAFFIC: Health = { requests24h: 0, errors24h: 0, lastError: null };

function infoOf(c: ChannelView, health: Health = NO_TRAFFIC): ChannelInfo {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    status: c.status,
    disabledReason: c.disabledReason === null ? null : redactSecrets(c.disabledReason),
    priority: c.priority,
    responseTimeMs: c.responseTimeMs,
    keys: { enabled: c.keys.filter((k) => k.status === 'enabled').length, total: c.keys.length },
    testedAt: c.testedAt,
    ...health,
    lastError: health.lastError === null ? null : redactSecrets(health.lastError),
  };
}

export function createChannelOps(ctx: AppContext, forwarder: Forwarder): ChannelOps {
  async function audit(actor: AdminActor, channel: { id: number; name: string }, what: string): Promise<void> {
    const content = `channel #${channel.id} "${channel.name}" ${what} by user ${actor.userId} via ${actor.platform}`;
    await ctx.db.prisma.usageLog.create({ data: { type: 'manage', source: actor.platform, userId: actor.userId, channelId: channel.id, content } });
    ctx.log.info({ channel: channel.id, by: actor.userId, platform: actor.platform }, `bot: ${content}`);
  }

  return {
    async list() {
      const [{ items }, health] = await Promise.all([listChannels(ctx, {}, { skip: 0, take: MAX_CHANNELS }), channelHealth(ctx)]);
      const byId = new Map(health.map((h) => [h.id, h]));
      return items.map((c) => infoOf(c, byId.get(c.id)));
    },

    async setEnabled(channelId, enabled, actor) {
      const channel = await updateChannel(ctx, channelId, { status: enabled ? 'enabled' : 'disabled' }, { root: false });
      await audit(actor, channel, enabled ? 'enabled' : 'disabled');
      return infoOf(channel);
    },

    async retest(channelId, actor) {
      const result = await testChannel(ctx, forwarder, channelId);
      if (!result) throw new RelayError('not_found', `channel ${channelId} does not exist`);
      const channel = await getChannel(ctx, channelId);
      await audit(actor, channel, `re-tested (${result.ok ? 'passed' : 'failed'}, now ${result.channelStatus})`);
      return {
        ok: result.ok,
        status: result.channelStatus,
        responseTimeMs: result.responseTimeMs,
        // An upstream's refusal may quote the key it was given: key-shaped text never reaches a chat.
        failures: result.keys.filter((k) => !k.ok).map((k) => `${k.mask || '—'}: ${redactSecrets(k.message)}`),
        channel: infoOf(channel),
      };
    },
  };
}
