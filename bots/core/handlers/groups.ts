// Groups (price tiers the user may switch between), the models they offer, and what a model costs.
import type { ModelPrice } from '../backend.js';
import { formatUsd } from '../commands.js';
import { linkedUser, type Router } from '../router.js';

export function groupCommands(router: Router): void {
  router.command('groups', { description: 'Groups you can switch to, with their price ratios', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const { current, selectable } = await ctx.backend.listGroups(user.id);
    const lines = selectable.map(
      (g) => `${g.name === current ? '▶' : '•'} ${g.name} · ratio ${g.ratio}${g.description ? ` · ${g.description}` : ''}`,
    );
    const list = lines.length ? lines.join('\n') : '(no groups are open for switching)';
    await ctx.reply(`Your group: ${current}\n\n${list}\n\nSwitch with /group <name>.`);
  });

  router.command('group', { description: 'Switch to another group', usage: '<name>', access: 'linked' }, async (ctx) => {
    const name = ctx.command?.args[0];
    if (!name) return ctx.reply('Usage: /group <name> (see /groups)');
    const user = await linkedUser(ctx);
    await ctx.backend.switchGroup(user.id, name);
    const { selectable } = await ctx.backend.listGroups(user.id);
    const ratio = selectable.find((g) => g.name === name)?.ratio;
    await ctx.reply(`You're now in group ${name}${ratio ? ` (price ratio ${ratio})` : ''}.`);
  });

  router.command('models', { description: 'Models you can use', access: 'linked' }, async (ctx) => {
    const user = await linkedUser(ctx);
    const models = await ctx.backend.listModels(user.id);
    if (models.length === 0) return ctx.reply('No models are available to your group right now.');
    await ctx.reply(`Models you can use (${models.length}):\n${models.map((m) => `• ${m}`).join('\n')}\n\nPrices: /price <model>`);
  });

  router.command('price', { description: 'What a model costs you', usage: '<model>', access: 'linked' }, async (ctx) => {
    const model = ctx.command?.args[0];
    if (!model) return ctx.reply('Usage: /price <model> (see /models)');
    const user = await linkedUser(ctx);
    await ctx.reply(describePrice(await ctx.backend.price(model, user.id)));
  });
}

export function describePrice(p: ModelPrice): string {
  const head = `${p.model} in group ${p.group} (ratio ${p.groupRatio}):`;
  const lines: string[] = [];
  if (p.perCallUsd !== null) lines.push(`${formatUsd(p.perCallUsd)} per request`);
  if (p.inputUsdPerMillion !== null) lines.push(`Input: ${formatUsd(p.inputUsdPerMillion)} per 1M tokens`);
  if (p.outputUsdPerMillion !== null) lines.push(`Output: ${formatUsd(p.outputUsdPerMillion)} per 1M tokens`);
  return [head, ...lines].join('\n');
}
