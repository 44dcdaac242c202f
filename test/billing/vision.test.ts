// Image token rules, with every expected value worked out by hand in the comment beside it.
import { describe, it, expect } from 'vitest';
import { imageTokens, unknownSizeImageTokens, type ImageDetail } from '../../src/billing/vision.js';

describe('imageTokens', () => {
  it.each<[string, number, number, ImageDetail, number]>([
    // gpt-4o family: 85 + 170 per tile
    ['gpt-4o', 1024, 1024, 'high', 765], // → 768×768 → 2×2 tiles → 85 + 680 (the guide's example)
    ['gpt-4o', 2048, 4096, 'high', 1105], // → 1024×2048 → 768×1536 → 2×3 → 85 + 1020 (the guide's example)
    ['gpt-4o', 4096, 8192, 'low', 85], // low is flat (the guide's example)
    ['gpt-4o', 512, 512, 'high', 255], // 1 tile
    ['gpt-4o', 513, 512, 'high', 425], // no scaling; 2×1 tiles
    ['gpt-4o', 128, 64, 'auto', 255], // never scaled up: 1 tile
    ['gpt-4o', 1920, 1080, 'auto', 1105], // → 1365×768 → 3×2 → 85 + 1020
    ['gpt-4o', 10000, 1, 'high', 765], // → 2048×1 → 4×1 → 85 + 680
    ['gpt-4o-2024-08-06', 1024, 1024, 'high', 765],
    ['openai/gpt-4o', 1024, 1024, 'high', 765],
    ['gpt-4.1', 1024, 1024, 'high', 765],
    ['gpt-4-turbo', 1024, 1024, 'high', 765],
    ['claude-sonnet-4-5', 1024, 1024, 'high', 765], // unknown: the gpt-4o rule
    // gpt-4o-mini: 2833 + 5667 per tile
    ['gpt-4o-mini', 1024, 1024, 'high', 25501], // 2833 + 4 × 5667
    ['gpt-4o-mini', 1920, 1080, 'auto', 36835], // 2833 + 6 × 5667: the FAQ's "over 30,000"
    ['gpt-4o-mini-2024-07-18', 128, 64, 'high', 8500], // 2833 + 5667
    ['gpt-4o-mini', 1920, 1080, 'low', 2833],
    // o1 / o3: 75 + 150 per tile
    ['o1', 1024, 1024, 'high', 675], // 75 + 4 × 150
    ['o1-pro', 1024, 1024, 'high', 675],
    ['o3', 2048, 4096, 'high', 975], // 75 + 6 × 150
    ['o3-2025-04-16', 100, 100, 'low', 75],
    // gpt-5: 70 + 140 per tile; computer-use-preview: 65 + 129
    ['gpt-5', 1024, 1024, 'high', 630], // 70 + 4 × 140
    ['gpt-5-chat-latest', 1024, 1024, 'low', 70],
    ['computer-use-preview', 1024, 1024, 'high', 581], // 65 + 4 × 129
    // patch models: ceil(w/32) × ceil(h/32), capped at 1536, × multiplier, rounded
    ['gpt-4.1-mini', 1024, 1024, 'high', 1659], // 32 × 32 = 1024 patches × 1.62 = 1658.88
    ['gpt-4.1-mini', 1024, 1024, 'low', 1659], // detail does not apply
    ['gpt-4.1-mini', 1800, 2400, 'high', 2352], // the guide's example: 33 × 44 = 1452 patches × 1.62 = 2352.24
    ['gpt-4.1-nano', 1800, 2400, 'high', 3572], // 1452 × 2.46 = 3571.92
    ['gpt-4.1-mini', 128, 64, 'high', 13], // 4 × 2 = 8 × 1.62 = 12.96
    ['o4-mini', 1024, 1024, 'auto', 1761], // 1024 × 1.72 = 1761.28
    ['gpt-5-mini', 2048, 768, 'high', 2488], // 64 × 24 = 1536 × 1.62 = 2488.32
    // 4000×4000: 125 × 125 patches > 1536, shrink = sqrt(1024 × 1536 / 16e6) = 0.31354 → 1254.1 px = 39.19
    // patches, × 39/39.19 → 1247 px → 39 × 39 = 1521 patches × 2.46 = 3741.66
    ['gpt-5-nano', 4000, 4000, 'high', 3742],
  ])('%s %i×%i %s → %i', (model, width, height, detail, expected) => {
    expect(imageTokens(model, width, height, detail)).toBe(expected);
  });

  it('rejects sizes that are not positive', () => {
    expect(() => imageTokens('gpt-4o', 0, 10)).toThrow(RangeError);
    expect(() => imageTokens('gpt-4o', Number.NaN, 10)).toThrow(RangeError);
  });
});

describe('unknownSizeImageTokens', () => {
  it.each<[string, ImageDetail, number]>([
    ['gpt-4o', 'high', 1445], // 2048×768: 4×2 tiles → 85 + 8 × 170
    ['gpt-4o', 'auto', 1445],
    ['gpt-4o', 'low', 85],
    ['gpt-4o-mini', 'auto', 48169], // 2833 + 8 × 5667
    ['gpt-4o-mini', 'low', 2833],
    ['o3', 'high', 1275], // 75 + 8 × 150
    ['gpt-5', 'high', 1190], // 70 + 8 × 140
    ['gpt-4.1-mini', 'low', 2488], // 1536 × 1.62
    ['gpt-4.1-nano', 'high', 3779], // 1536 × 2.46 = 3778.56
    ['o4-mini', 'high', 2642], // 1536 × 1.72 = 2641.92
  ])('%s %s → %i', (model, detail, expected) => {
    expect(unknownSizeImageTokens(model, detail)).toBe(expected);
  });

  it('is never below the cost of any real size', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'o1', 'gpt-5', 'gpt-4.1-mini', 'o4-mini']) {
      const worst = unknownSizeImageTokens(model);
      for (const [w, h] of [[1, 1], [512, 513], [2048, 768], [768, 2048], [4000, 3000], [1536, 1536], [100000, 3]]) {
        expect(imageTokens(model, w!, h!)).toBeLessThanOrEqual(worst);
      }
    }
  });
});
