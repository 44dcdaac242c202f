// Image input tokens, by OpenAI's published rules ("Images and vision" guide, section "Calculating costs":
// https://platform.openai.com/docs/guides/images-vision#calculating-costs, formerly /docs/guides/vision).
//
// Tile models: detail "low" costs the base tokens. "high" and "auto" scale the image to fit 2048×2048, then so that the
// shortest side is at most 768 px (never up), then cost base + per-tile × the number of 512 px tiles covering it.
// Base / per-tile, from the guide's table:
//   gpt-4o, gpt-4.1, gpt-4.5 (and gpt-4-turbo / gpt-4-vision, the original rule) .......  85 / 170
//   gpt-4o-mini ......................................................................... 2833 / 5667
//   o1, o1-pro, o3 ......................................................................  75 / 150
//   gpt-5, gpt-5-chat-latest ............................................................  70 / 140
//   computer-use-preview ................................................................  65 / 129
// gpt-4o-mini's numbers are 33⅓× gpt-4o's because its text price is 1/33 of gpt-4o's (same dollar price per image);
// that is why a large image there is ~25,000–48,000 tokens (the operator FAQ's "over 30,000"). Independent check: a
// public measurement (community.openai.com "Vision: more than one way to send a request…") reports 8,512 prompt
// tokens for a 128×64 high-detail image + ~12 text tokens on gpt-4o-mini = 2833 + 5667 + 12, and 267 on gpt-4o.
//
// Patch models (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): the image is covered with 32 px patches, capped at 1536
// (scaled down to fit, as the guide's algorithm below), and the count is multiplied by a per-model factor
// (1.62 / 2.46 / 1.72 / 1.62 / 2.46). The guide defines no "low" for them; measurements show low = high, so detail
// is ignored.
//
// Models not in the table (including non-OpenAI ones) use the gpt-4o rule as an approximation.

export type ImageDetail = 'low' | 'high' | 'auto';

type VisionRule = { kind: 'tile'; base: number; perTile: number } | { kind: 'patch'; multiplier: number };

const GPT_4O: VisionRule = { kind: 'tile', base: 85, perTile: 170 };

/** Model-id prefixes; the longest matching prefix wins (so "gpt-4o-mini" is not "gpt-4o"). */
const RULES: Record<string, VisionRule> = {
  'gpt-4o': GPT_4O,
  'chatgpt-4o': GPT_4O,
  'gpt-4.1': GPT_4O,
  'gpt-4.5': GPT_4O,
  'gpt-4-turbo': GPT_4O,
  'gpt-4-vision': GPT_4O,
  'gpt-4o-mini': { kind: 'tile', base: 2833, perTile: 5667 },
  o1: { kind: 'tile', base: 75, perTile: 150 },
  o3: { kind: 'tile', base: 75, perTile: 150 },
  'gpt-5': { kind: 'tile', base: 70, perTile: 140 },
  'computer-use-preview': { kind: 'tile', base: 65, perTile: 129 },
  'gpt-4.1-mini': { kind: 'patch', multiplier: 1.62 },
  'gpt-4.1-nano': { kind: 'patch', multiplier: 2.46 },
  'o4-mini': { kind: 'patch', multiplier: 1.72 },
  'gpt-5-mini': { kind: 'patch', multiplier: 1.62 },
  'gpt-5-nano': { kind: 'patch', multiplier: 2.46 },
};
const PREFIXES = Object.keys(RULES).sort((a, b) => b.length - a.length);

const MAX_SIDE = 2048;
const SHORT_SIDE = 768;
const TILE = 512;
const PATCH = 32;
const MAX_PATCHES = 1536;

export function visionRuleFor(model: string): VisionRule {
  const bare = model.toLowerCase().slice(model.lastIndexOf('/') + 1);
  // A prefix must end at a word boundary: "o1-mini" is o1, "o100" is not.
  const prefix = PREFIXES.find((p) => bare.startsWith(p) && !/[a-z0-9]/.test(bare.charAt(p.length)));
  return prefix ? RULES[prefix]! : GPT_4O;
}

export function imageTokens(model: string, width: number, height: number, detail: ImageDetail = 'auto'): number {
  if (!(width >= 1 && height >= 1 && Number.isFinite(width) && Number.isFinite(height))) {
    throw new RangeError(`image size ${width}x${height} is not a positive size`);
  }
  const rule = visionRuleFor(model);
  if (rule.kind === 'patch') return Math.round(patchCount(width, height) * rule.multiplier);
  if (detail === 'low') return rule.base;
  return rule.base + rule.perTile * tileCount(width, height);
}

/** The most an image of unknown size can cost (a 2048×768 image after scaling: 8 tiles, or the full patch budget). */
export function unknownSizeImageTokens(model: string, detail: ImageDetail = 'auto'): number {
  const rule = visionRuleFor(model);
  if (rule.kind === 'patch') return Math.round(MAX_PATCHES * rule.multiplier);
  if (detail === 'low') return rule.base;
  return rule.base + rule.perTile * tileCount(MAX_SIDE, SHORT_SIDE);
}

function tileCount(width: number, height: number): number {
  let w = width;
  let h = height;
  // Resizing yields whole pixels, so each step rounds down.
  if (Math.max(w, h) > MAX_SIDE) {
    const scale = MAX_SIDE / Math.max(w, h);
    [w, h] = [Math.max(1, Math.floor(w * scale)), Math.max(1, Math.floor(h * scale))];
  }
  if (Math.min(w, h) > SHORT_SIDE) {
    const scale = SHORT_SIDE / Math.min(w, h);
    [w, h] = [Math.max(1, Math.floor(w * scale)), Math.max(1, Math.floor(h * scale))];
  }
  return Math.ceil(w / TILE) * Math.ceil(h / TILE);
}

/** The guide's patch budget: shrink to ~1536 patches, then shrink a bit more so whole patches fit the width/height. */
function patchCount(width: number, height: number): number {
  const raw = Math.ceil(width / PATCH) * Math.ceil(height / PATCH);
  if (raw <= MAX_PATCHES) return raw;
  let shrink = Math.sqrt((PATCH * PATCH * MAX_PATCHES) / (width * height));
  const widthPatches = (width * shrink) / PATCH;
  const heightPatches = (height * shrink) / PATCH;
  // (A side thinner than one patch has nothing to round down; only the other side is fitted.)
  const fit = (patches: number) => (patches >= 1 ? Math.floor(patches) / patches : 1);
  shrink *= Math.min(fit(widthPatches), fit(heightPatches));
  const w = Math.max(1, Math.floor(width * shrink));
  const h = Math.max(1, Math.floor(height * shrink));
  return Math.min(MAX_PATCHES, Math.ceil(w / PATCH) * Math.ceil(h / PATCH));
}
