// The output allowance (billing/allowance.ts) and the prompt's upper bounds for what no tokenizer counts
// (billing/attachments.ts): pure functions, exact arithmetic.
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { allowanceFor, contextWindowOf, outputMaximumOf, reservationRange, UNKNOWN_CONTEXT_WINDOW, type OutputAsk } from '../../src/billing/allowance.js';
import { audioTokens, fileTokens } from '../../src/billing/attachments.js';
import { costOf } from '../../src/billing/cost.js';
import { parseDecimal } from '../../src/billing/decimal.js';
import type { ModelPrice } from '../../src/billing/pricing.js';
import { unknownSizeImageTokens } from '../../src/billing/vision.js';
import { makePdf, makeWav } from '../fakes/media.js';

const price = (model: string, completion: string, fields: Partial<ModelPrice> = {}): ModelPrice => ({
  model: 'm',
  modelRatio: parseDecimal(model),
  completionRatio: parseDecimal(completion),
  cacheReadRatio: parseDecimal('1'),
  cacheWriteRatio: parseDecimal('1'),
  source: 'admin',
  ...fields,
});
const one = parseDecimal('1');
const ask = (fields: Partial<OutputAsk>): OutputAsk => ({ requested: undefined, choices: 1, upstreamDefault: undefined, fallback: 4096, limitable: true, ...fields });
const cost = (p: ModelPrice, group: bigint, prompt: number, completion: number) =>
  costOf(p, group, { usage: { promptTokens: prompt, completionTokens: completion, cacheReadTokens: 0, cacheWriteTokens: 0 }, requests: 1 });

describe('the output allowance', () => {
  it('asks for the whole allowance and at least the prompt and one token per choice', () => {
    const p = price('0.075', '4');
    expect(reservationRange(p, one, 1000, ask({}), 1)).toEqual({ most: cost(p, one, 1000, 4096), least: cost(p, one, 1000, 1) });
    expect(reservationRange(p, one, 1000, ask({ requested: 50, choices: 3 }), 1)).toEqual({ most: cost(p, one, 1000, 150), least: cost(p, one, 1000, 3) });
    // No output side (embeddings): all or nothing.
    expect(reservationRange(p, one, 1000, undefined, 1)).toEqual({ most: 75, least: 75 });
  });

  it('a full hold pays for what was asked; the limit is sent only when the upstream default is unknown', () => {
    const p = price('1', '1');
    // Client asked 500: nothing to add.
    expect(allowanceFor(p, one, 10, ask({ requested: 500 }), 1, 510)).toEqual({ perChoice: 500, total: 500, enforce: false });
    // No limit, model maximum known (8,000): reserved and not sent (the upstream cannot exceed it).
    expect(allowanceFor(p, one, 10, ask({ upstreamDefault: 8000 }), 1, 8010)).toEqual({ perChoice: 8000, total: 8000, enforce: false });
    // No limit, maximum unknown: the fallback is reserved and sent as the limit.
    expect(allowanceFor(p, one, 10, ask({}), 1, 4106)).toEqual({ perChoice: 4096, total: 4096, enforce: true });
  });

  it('a short hold pays for the largest output that fits, and that is sent as the limit', () => {
    const p = price('1', '1');
    expect(allowanceFor(p, one, 10, ask({}), 1, 18)).toEqual({ perChoice: 8, total: 8, enforce: true }); // an 18-unit balance: 10 + 8
    expect(allowanceFor(p, one, 10, ask({ requested: 100 }), 1, 50)).toEqual({ perChoice: 40, total: 40, enforce: true });
    expect(allowanceFor(p, one, 10, ask({ upstreamDefault: 8000 }), 1, 1010)).toEqual({ perChoice: 1000, total: 1000, enforce: true });
    // n = 3 choices share it.
    expect(allowanceFor(p, one, 10, ask({ choices: 3 }), 1, 100)).toEqual({ perChoice: 30, total: 90, enforce: true });
  });

  it('never pays for more than was held, at any price: the largest count whose exact cost fits', () => {
    const prices = [price('0.075', '4'), price('1.25', '4'), price('0.14', '1.5'), price('2.5', '1.33'), price('0.000000001', '3')];
    const groups = [one, parseDecimal('0.8'), parseDecimal('1.5')];
    for (const p of prices) {
      for (const g of groups) {
        for (const held of [1, 7, 99, 1234, 56_789]) {
          const a = ask({ requested: 200_000, choices: 2 });
          const { least } = reservationRange(p, g, 300, a, 1);
          if (held < least) continue;
          const { perChoice } = allowanceFor(p, g, 300, a, 1, held);
          expect(cost(p, g, 300, perChoice * 2)).toBeLessThanOrEqual(held);
          if (perChoice < 200_000) expect(cost(p, g, 300, (perChoice + 1) * 2)).toBeGreaterThan(held);
        }
      }
    }
  });

  it('free output needs no limit: a zero completion ratio or a per-request price', () => {
    expect(allowanceFor(price('1', '0'), one, 10, ask({}), 1, 10)).toMatchObject({ enforce: false });
    const perCall = price('1', '1', { perRequestUsd: parseDecimal('0.01') });
    expect(reservationRange(perCall, one, 10, ask({}), 1)).toEqual({ most: 5000, least: 5000 });
    expect(allowanceFor(perCall, one, 10, ask({}), 1, 5000)).toMatchObject({ enforce: false });
  });

  it('output billed whatever the limit (a rejected prediction) is reserved on top, and the limit still fits the hold', () => {
    const p = price('1', '1');
    const predicted = ask({ requested: 1000, unlimited: 500 });
    expect(reservationRange(p, one, 10, predicted, 1)).toEqual({ most: 1510, least: 511 });
    expect(allowanceFor(p, one, 10, predicted, 1, 700)).toEqual({ perChoice: 190, total: 690, enforce: true });
  });

  it('transcriptions reserve the fallback and never send a limit', () => {
    const transcript = ask({ upstreamDefault: 4096, limitable: false });
    expect(reservationRange(price('15', '1'), one, 0, transcript, 1)).toEqual({ most: 61_440, least: 61_440 });
    expect(allowanceFor(price('15', '1'), one, 0, transcript, 1, 61_440)).toMatchObject({ enforce: false });
  });

  it("knows the catalogue's output maxima and context windows; the admin's maxima win", () => {
    expect(outputMaximumOf('gpt-4o-mini', {})).toBe(16_384);
    expect(outputMaximumOf('gpt-4o-mini-2024-07-18', {})).toBe(16_384); // a dated snapshot
    expect(outputMaximumOf('claude-sonnet-4-5-20250929', {})).toBe(64_000);
    expect(outputMaximumOf('my-model', {})).toBeUndefined();
    expect(outputMaximumOf('my-model', { 'my-model': 32_000 })).toBe(32_000);
    expect(outputMaximumOf('gpt-4o-mini', { 'gpt-4o-mini': 1000 })).toBe(1000);
    expect(contextWindowOf('gemini-2.5-flash')).toBe(1_048_576);
    expect(contextWindowOf('my-model')).toBe(UNKNOWN_CONTEXT_WINDOW);
  });
});

describe('upper bounds for what no tokenizer counts', () => {
  const dataUri = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString('base64')}`;

  it('bounds a PDF by its bytes and every page at the worst image price', () => {
    const pdf = makePdf({ pages: 30, bytes: 300 * 1024 });
    const bound = fileTokens(dataUri('application/pdf', pdf), 'my-model'); // a model without a catalogue context window
    expect(bound).toBe(pdf.length + 30 * unknownSizeImageTokens('my-model', 'high'));
    // The vendors bill 1,500–3,000 tokens a page; the 300 KB / 30 pages was billed ~75,000.
    expect(bound).toBeGreaterThan(30 * 3000);
  });

  it('counts pages hidden in compressed object streams, and the text deflated streams hold', () => {
    const pdf = makePdf({ pages: 200, objectStreams: true });
    expect(pdf.length).toBeLessThan(8 * 1024); // 200 pages in a few KB: a bytes-only bound would be far too low
    expect(fileTokens(dataUri('application/pdf', pdf), 'my-model')).toBeGreaterThanOrEqual(200 * unknownSizeImageTokens('my-model', 'high'));
    // A page whose text deflates 1,000:1 is bounded by its inflated size, not its compressed size.
    const text = Buffer.from('BT (A) Tj ET '.repeat(40_000));
    const dense = makePdf({ pages: 1, content: deflateSync(text), filter: 'FlateDecode' });
    expect(fileTokens(dataUri('application/pdf', dense), 'my-model')).toBeGreaterThan(text.length);
    // …and by the model's context window, the most input an upstream takes at all.
    expect(fileTokens(dataUri('application/pdf', dense), 'gpt-4o')).toBe(128_000);
  });

  it('bounds a PDF it cannot read by the context window', () => {
    const odd = makePdf({ pages: 3, content: Buffer.from('junk'), filter: 'LZWDecode' });
    expect(fileTokens(dataUri('application/pdf', odd), 'gpt-4o')).toBe(128_000);
    expect(fileTokens('data:application/pdf;base64,JVBERi0xLjQK', 'gpt-4o')).toBe(128_000); // no pages found
  });

  it('bounds audio: a WAV by its duration at 32 tokens a second, other formats by their bytes', () => {
    const wav = makeWav({ seconds: 10, sampleRate: 16_000 });
    expect(audioTokens(wav.toString('base64'))).toBe(Math.ceil((wav.length / 32_000) * 32)); // 10 s (and its header): 321
    const mp3 = Buffer.alloc(64_000, 0xff);
    expect(audioTokens(mp3.toString('base64'))).toBe(4000); // 64 KB at ≥ 4 kbit/s is ≤ 128 s: 4,096 tokens at most
    expect(fileTokens(dataUri('audio/wav', wav), 'gpt-4o')).toBe(321);
  });

  it('bounds any other file by its bytes, never above the context window', () => {
    expect(fileTokens(dataUri('text/csv', Buffer.alloc(5000, 0x41)), 'gpt-4o')).toBe(5000);
    expect(fileTokens(dataUri('video/mp4', Buffer.alloc(200_000)), 'gpt-4o')).toBe(128_000);
  });
});
