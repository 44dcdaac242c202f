// Channel incidents (a key or channel cooled down by the circuit breaker, disabled for good, recovered) for admins:
// the bots' notice outbox hears them through RelayService.events ('channel-incident'), and the optional webhook
// (option alertWebhookUrl) gets each as JSON. One incident is announced by exactly one instance: the conditional
// update that started or ended it (relay/breaker.ts, services/channel-repository.ts). Nothing in an alert carries a
// key: reasons are classified ("overloaded (HTTP 529)") or scrubbed, keys are named by id and mask.
import net from 'node:net';
import { guardedLookup, isPublicAddress, type AddressPolicy } from '../net/safe-fetch.js';
import { redactSecrets } from '../auth/redact.js';

export type IncidentKind = 'cooled' | 'disabled' | 'recovered';

export interface ChannelIncident {
  kind: IncidentKind;
  channelId: number;
  channelName: string;
  /** The key concerned (by id and mask); null for the channel as a whole (a key-less channel). */
  keyId: number | null;
  keyMask: string | null;
  /** No key of the channel can serve now (all cooling or disabled). */
  channelOut: boolean;
  /** Why: a classified reason, never upstream text with a key in it. */
  reason: string;
  /** cooled: until when routing skips it. */
  until?: string;
  at: string;
}

/** The incident in words, English and Simplified Chinese (the webhook carries both; the bots have their own). */
export function incidentText(i: ChannelIncident): { en: string; zh: string } {
  const what = i.keyId === null ? `Channel #${i.channelId} "${i.channelName}"` : `Key ${i.keyMask ?? i.keyId} of channel #${i.channelId} "${i.channelName}"`;
  const whatZh = i.keyId === null ? `渠道 #${i.channelId}“${i.channelName}”` : `渠道 #${i.channelId}“${i.channelName}”的密钥 ${i.keyMask ?? i.keyId}`;
  const out = i.channelOut && i.keyId !== null ? ' The channel has no usable key left.' : '';
  const outZh = i.channelOut && i.keyId !== null ? '该渠道已没有可用的密钥。' : '';
  switch (i.kind) {
    case 'cooled':
      return {
        en: `${what} is cooling down until ${i.until} after repeated failures (${i.reason}); it is retried after that.${out}`,
        zh: `${whatZh}连续失败（${i.reason}），暂停使用至 ${i.until}，之后会再试。${outZh}`,
      };
    case 'disabled':
      return {
        en: `${what} was disabled automatically: ${i.reason}.${out}`,
        zh: `${whatZh}已被自动停用：${i.reason}。${outZh}`,
      };
    case 'recovered':
      return { en: `${what} works again: its probe succeeded.`, zh: `${whatZh}已恢复：探测请求成功。` };
  }
}

const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * POSTs the incident as JSON to the admin's webhook: public addresses only (the same guard as image downloads), no
 * redirects followed, a 5 s limit. Resolves to the HTTP status; throws on a refused address or a network error.
 */
export async function postWebhook(url: string, incident: ChannelIncident, policy: AddressPolicy = isPublicAddress): Promise<number> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('the alert webhook must be an http(s) URL');
  if (target.username || target.password) throw new Error('the alert webhook URL must not carry credentials');
  const literal = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(literal) && !policy(literal)) throw new Error(`refusing to post alerts to ${target.host}: not a public address`);
  const { Agent, request } = await import('undici'); // loaded at the first alert, not at start
  const agent = new Agent({ connect: { timeout: WEBHOOK_TIMEOUT_MS, lookup: guardedLookup(policy) } });
  const payload = { event: `channel.${incident.kind}`, ...incident, reason: redactSecrets(incident.reason), text: incidentText(incident) };
  try {
    const res = await request(target, {
      method: 'POST',
      dispatcher: agent,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      headers: { 'content-type': 'application/json', 'user-agent': 'relay-station-alerts' },
      body: JSON.stringify(payload),
    });
    await res.body.dump();
    return res.statusCode;
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}
