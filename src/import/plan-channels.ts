// Channels: each source type code mapped through channel-types.ts (or reported as not served), base URL, keys, models,
// model mapping (plus Azure's dot-less deployment names), groups, priority, weight and status.
import { DEFAULT_GROUP } from '../services/groups.js';
import { typeNeedsKey } from '../services/channel-types.js';
import { mapChannelType, type ServedType } from './channel-types.js';
import type { SourceChannel } from './rows.js';
import { parseJsonMap, type PlanContext, type PlannedChannel } from './plan-context.js';

export function planChannels(ctx: PlanContext, channels: SourceChannel[]): PlannedChannel[] {
  ctx.report.source('channels', channels.length);
  const planned: PlannedChannel[] = [];
  const byType = new Map<string, number>();
  const extras = { systemPrompt: 0, overrides: 0, disabledKeys: 0, azureDots: 0 };
  for (const c of channels) {
    const label = `#${c.id} "${c.name}"`;
    if (ctx.record.channels.has(c.id)) {
      ctx.report.present('channels');
      continue;
    }
    const mapping = mapChannelType(ctx.variant, c.type);
    if (mapping.type === undefined) {
      ctx.report.skip('channels', `${label}: type ${c.type} (${mapping.name}) is not served: ${mapping.reason}`);
      continue;
    }
    const why = channelProblem(c, mapping);
    if (why) {
      ctx.report.skip('channels', `${label}: ${why}`);
      continue;
    }
    const modelMapping = parseStringMap(c.modelMapping);
    if (modelMapping === undefined) ctx.report.omit('channels', `${label}: model_mapping is not a JSON object of names: left out`);
    const mappingOut = { ...(modelMapping ?? {}) };
    const config: Record<string, unknown> = {};
    if (mapping.type === 'azure') {
      // one-api/new-api name the deployment after the model without dots (gpt-3.5-turbo → gpt-35-turbo).
      for (const model of c.models) {
        const upstream = mappingOut[model] ?? model;
        if (upstream.includes('.')) {
          mappingOut[model] = upstream.replace(/\./g, '');
          extras.azureDots++;
        }
      }
      const version = String(c.config.api_version ?? '').trim() || c.other;
      if (version) config.apiVersion = version;
      else ctx.report.omit('channels', `${label}: no Azure api-version set; relay-station's default applies`);
    }
    if (c.status === 3) ctx.report.attend(`channel ${label} was auto-disabled in ${ctx.variant}: imported disabled; test it and enable it`);
    if (c.systemPrompt) extras.systemPrompt++;
    if (c.paramOverride || c.headerOverride) extras.overrides++;
    extras.disabledKeys += c.disabledKeys;
    planned.push({
      sourceId: c.id,
      label,
      input: {
        name: c.name || `channel ${c.id}`,
        type: mapping.type,
        baseUrl: baseUrlOf(c, mapping),
        keys: c.keys,
        models: c.models,
        modelMapping: mappingOut,
        groups: c.groups.length > 0 ? [...new Set(c.groups.map((g) => ctx.groupName(g)))] : [DEFAULT_GROUP],
        priority: Math.max(-2_147_483_648, Math.min(2_147_483_647, c.priority)),
        // one-api picks uniformly among the top priority (weight unused); new-api picks in proportion to weight.
        weight: ctx.variant === 'one-api' ? 1 : Math.max(0, Math.min(1000, c.weight)),
        config,
        status: c.status === 1 ? 'enabled' : 'disabled',
      },
    });
    const kind = `type ${c.type} (${mapping.name}) → ${mapping.type}${mapping.note ? `, ${mapping.note}` : ''}`;
    byType.set(kind, (byType.get(kind) ?? 0) + 1);
    ctx.report.imported('channels');
  }
  for (const [kind, n] of byType) ctx.report.map('channels', `${kind}: ${n}`);
  ctx.report.map('channels', `priority kept (highest first in both); weight: ${ctx.variant === 'one-api' ? 'one-api ignores it, so every channel gets 1' : "new-api's weight, 0–1000"}`);
  if (extras.azureDots > 0) ctx.report.map('channels', `${extras.azureDots} Azure model(s) mapped to their deployment name without dots, as ${ctx.variant} called them`);
  if (extras.disabledKeys > 0) ctx.report.omit('channels', `${extras.disabledKeys} key(s) disabled in multi-key channels were left out`);
  if (extras.systemPrompt > 0) ctx.report.omit('channels', `${extras.systemPrompt} channel system prompt(s): no equivalent`);
  if (extras.overrides > 0) ctx.report.omit('channels', `${extras.overrides} channel parameter/header override(s): no equivalent`);
  return planned;
}

function baseUrlOf(c: SourceChannel, mapping: ServedType): string | undefined {
  let base = (c.baseUrl || mapping.defaultBaseUrl || '').replace(/\/+$/, '');
  if (!base) return undefined;
  if (mapping.stripPath && base.endsWith(mapping.stripPath)) base = base.slice(0, -mapping.stripPath.length);
  return base + (mapping.basePath ?? '');
}

function channelProblem(c: SourceChannel, mapping: ServedType): string | undefined {
  if (c.models.length === 0) return 'has no models';
  if (c.keys.length === 0 && typeNeedsKey(mapping.type)) return 'has no key';
  if (mapping.stripPath && c.baseUrl && !c.baseUrl.replace(/\/+$/, '').endsWith(mapping.stripPath)) {
    return `its URL is not a base URL relay-station can use (expected …${mapping.stripPath})`;
  }
  const base = baseUrlOf(c, mapping);
  if (base === undefined) return mapping.type === 'azure' || mapping.type === 'custom' ? 'has no base URL' : undefined;
  try {
    const url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `its base URL is ${url.protocol}, not http(s)`;
  } catch {
    return 'its base URL is not a valid URL';
  }
  return undefined;
}


function parseStringMap(text: string): Record<string, string> | undefined {
  const map = parseJsonMap(text);
  if (map === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(map)) {
    if (typeof to === 'string' && from.trim() && to.trim()) out[from.trim()] = to.trim();
  }
  return out;
}
