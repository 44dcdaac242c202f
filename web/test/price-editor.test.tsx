// The price editor changes one model at a time: saving a row sends only what changed for that model (the server merges
// it into the stored maps), clearing a value or removing a row sends null, and bad numbers never leave the page.
import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../src/api';
import { PriceEditor, rowPatch, type PriceMaps, type PricePatch } from '../src/pages/admin/PriceEditor';
import { renderUi } from './render';

const maps: PriceMaps = {
  modelRatios: { 'gpt-4o': 1.25, 'old-model': 2 },
  completionRatios: { 'gpt-4o': 4 },
  modelPrices: { 'dall-e-3': 0.04 },
};

function editor(onPatch = vi.fn(async (_patch: PricePatch) => {})) {
  renderUi(<PriceEditor maps={maps} onPatch={onPatch} />);
  return onPatch;
}

describe('price editor', () => {
  it('lists every priced model once', () => {
    editor();
    const rows = screen.getAllByRole('row').slice(1).map((r) => r.querySelector('td')?.textContent);
    expect(rows).toEqual(['dall-e-3', 'gpt-4o', 'old-model']);
  });

  it('saving a row sends only that model’s changed values', async () => {
    const user = userEvent.setup();
    const onPatch = editor();
    const ratio = screen.getByLabelText('gpt-4o Ratio');
    await user.clear(ratio);
    await user.type(ratio, '1.5');
    await user.clear(screen.getByLabelText('gpt-4o Completion ratio'));
    await user.click(screen.getByRole('button', { name: 'Save gpt-4o' }));
    await waitFor(() => expect(onPatch).toHaveBeenCalledTimes(1));
    expect(onPatch).toHaveBeenCalledWith({ modelRatios: { 'gpt-4o': '1.5' }, completionRatios: { 'gpt-4o': null } });
  });

  it('removing a row sends null for it in each map that has it', async () => {
    const user = userEvent.setup();
    const onPatch = editor();
    await user.click(screen.getByRole('button', { name: 'Delete old-model' }));
    await waitFor(() => expect(onPatch).toHaveBeenCalledWith({ modelRatios: { 'old-model': null } }));
  });

  it('adds a new model with a per-request price', async () => {
    const user = userEvent.setup();
    const onPatch = editor();
    await user.type(screen.getByLabelText('Add a model'), 'flux-pro');
    await user.click(screen.getByRole('button', { name: 'Add' }));
    await user.type(screen.getByLabelText('flux-pro USD per request'), '0.05');
    await user.click(screen.getByRole('button', { name: 'Save flux-pro' }));
    await waitFor(() => expect(onPatch).toHaveBeenCalledWith({ modelPrices: { 'flux-pro': '0.05' } }));
  });

  it('refuses more than 9 decimals without calling the API, and shows the API’s refusal on the row', async () => {
    const user = userEvent.setup();
    const onPatch = vi.fn(async (_patch: PricePatch) => {}).mockRejectedValueOnce(
      new ApiError(400, 'invalid_request', 'option modelRatios.gpt-4o: too large', 'modelRatios.gpt-4o'),
    );
    editor(onPatch);
    const ratio = screen.getByLabelText('gpt-4o Ratio');
    await user.clear(ratio);
    await user.type(ratio, '0.1234567891');
    await user.click(screen.getByRole('button', { name: 'Save gpt-4o' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Ratio: At most 9 decimal places.');
    expect(onPatch).not.toHaveBeenCalled();
    await user.clear(ratio);
    await user.type(ratio, '99');
    await user.click(screen.getByRole('button', { name: 'Save gpt-4o' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('too large'));
  });

  it('builds merge patches from a row’s before and after', () => {
    const before = { modelRatios: '1', completionRatios: '', modelPrices: '' };
    expect(rowPatch('m', before, { ...before })).toEqual({});
    expect(rowPatch('m', before, { ...before, modelRatios: ' 2 ' })).toEqual({ modelRatios: { m: '2' } });
    expect(rowPatch('m', before, { ...before, modelRatios: '' })).toEqual({ modelRatios: { m: null } });
  });
});

describe('price editor with the channels’ models', () => {
  it('lists offered models with their current price as a placeholder, and overriding one sends only it', async () => {
    const user = userEvent.setup();
    const onPatch = vi.fn(async (_patch: PricePatch) => {});
    renderUi(<PriceEditor maps={maps} effective={{ 'gpt-4o-mini': { modelRatios: '0.075', completionRatios: '4' } }} onPatch={onPatch} />);
    const ratio = screen.getByLabelText('gpt-4o-mini Ratio') as HTMLInputElement;
    expect(ratio.value).toBe('');
    expect(ratio.placeholder).toBe('0.075');
    await user.type(ratio, '0.05');
    await user.click(screen.getByRole('button', { name: 'Save gpt-4o-mini' }));
    await waitFor(() => expect(onPatch).toHaveBeenCalledWith({ modelRatios: { 'gpt-4o-mini': '0.05' } }));
  });
});
