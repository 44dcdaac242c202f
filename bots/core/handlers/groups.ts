// Groups (price tiers the user may switch between, one button each), the models they offer, and what a model costs.
import type { ModelPrice } from '../backend.js';
import { formatUsd } from '../commands.js';
import type { Messages } from '../i18n/index.js';
import { linkedUser, type Router } from '../router.js';
import { pairs } from './util.js';

export function groupCommands(router: Router): void {
  router.command('groups', { access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const { current, selectable } = await ctx.backend.listGroups(user.id);
    const lines = selectable.map((g) => ctx.t.groups.line({ ...g, current: g.name === current }));
    const others = selectable.filter((g) => g.name !== current);
    await ctx.reply({
      text: ctx.t.groups.list(current, lines),
      buttons: pairs(others.map((g) => ({ label: ctx.t.groups.switchButton(g.name, g.ratio), data: `/group ${g.name}` }))),
    });
  });

  router.command('group', { access: 'linked', args: [{ name: 'name', required: true, complete: 'groups' }] }, async (ctx) => {
    const name = ctx.command?.args[0];
    if (!name) return ctx.reply(ctx.t.groups.usage);
    const user = await linkedUser(ctx);
    await ctx.backend.switchGroup(user.id, name);
    const { selectable } = await ctx.backend.listGroups(user.id);
    await ctx.reply(ctx.t.groups.switched(name, selectable.find((g) => g.name === name)?.ratio));
  });

  router.command('models', { access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const models = await ctx.backend.listModels(user.id);
    if (models.length === 0) return ctx.reply(ctx.t.groups.noModels);
    await ctx.reply(ctx.t.groups.models(models));
  });

  router.command('price', { access: 'linked', args: [{ name: 'model', required: true, complete: 'models' }] }, async (ctx) => {
    const model = ctx.command?.args[0];
    if (!model) return ctx.reply(ctx.t.groups.priceUsage);
    const user = await linkedUser(ctx);
    await ctx.reply(describePrice(ctx.t, await ctx.backend.price(model, user.id)));
  });
}

export function describePrice(t: Messages, p: ModelPrice): string {
  const lines = [t.groups.priceHead(p.model, p.group, p.groupRatio)];
  if (p.perCallUsd !== null) lines.push(t.groups.perRequest(formatUsd(p.perCallUsd)));
  if (p.inputUsdPerMillion !== null) lines.push(t.groups.input(formatUsd(p.inputUsdPerMillion)));
  if (p.outputUsdPerMillion !== null) lines.push(t.groups.output(formatUsd(p.outputUsdPerMillion)));
  return lines.join('\n');
}
