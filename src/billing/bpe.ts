// A count-only byte-pair encoder over tiktoken's rank tables (the data files js-tiktoken ships).
//
// Why not js-tiktoken's own `encode()`: its merge loop rescans and re-joins every adjacent pair after each merge, which
// is cubic in the length of one pre-tokenized piece. Measured here: 20 KB of "aaaa…" took 31 s, 5,000 spaces 2.3 s,
// and 256 CJK characters without punctuation 56 ms. Prompts are attacker-controlled and counted on the hot path, so we
// merge with a heap instead (O(n log n) per piece). The result is the same tokenization: tiktoken always merges the
// lowest-ranked adjacent pair, leftmost first, and the heap orders pairs by (rank, position). The test suite checks
// our counts against js-tiktoken's on real text.

/** The shape of `js-tiktoken/ranks/*`: the pre-tokenizer regex, special tokens, and base64 tokens in rank order. */
export interface RankTable {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

export interface BpeCounter {
  /** Number of tokens in `text`. Special-token text such as "<|endoftext|>" counts as ordinary text. */
  count(text: string): number;
}

// Heap keys pack (rank, start) into one double: rank * POSITION_SPAN + start. Ranks are < 2^18 and starts < 2^23,
// well inside 2^53. A piece longer than that (8 MB) is counted as one token per byte (an upper bound, see below).
const POSITION_SPAN = 2 ** 23;
const PIECE_CACHE_LIMIT = 50_000;
// Whole texts repeat too: a system prompt on every call, and a chat's earlier turns re-sent with each new one. Texts of
// TEXT_CACHE_MIN_CHARS or more are remembered, up to TEXT_CACHE_CHARS characters in all (then the cache starts over).
const TEXT_CACHE_MIN_CHARS = 64;
const TEXT_CACHE_CHARS = 1_000_000;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Token bytes → rank, without a JS object per token: all tokens' bytes in one pool, and an open-addressing hash table of
 * ranks (FNV-1a over the bytes, linear probing). For o200k that is ~4 MB in three typed arrays, where a Map of 200,000
 * strings took ~14 MB of heap that every major GC had to walk. Lookups hash a range of a latin1 "binary string" in place,
 * so the merge loop allocates no substrings.
 */
class RankTableIndex {
  readonly #pool: Uint8Array;
  /** Token with rank r is pool[start[r] .. start[r + 1]). */
  readonly #start: Int32Array;
  /** rank + 1, or 0 for an empty slot. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly maxTokenBytes: number;

  constructor(tokens: Buffer[]) {
    let bytes = 0;
    let longest = 1;
    for (const t of tokens) {
      bytes += t.length;
      if (t.length > longest) longest = t.length;
    }
    this.maxTokenBytes = longest;
    this.#pool = new Uint8Array(bytes);
    this.#start = new Int32Array(tokens.length + 1);
    let size = 1;
    while (size < tokens.length * 2) size *= 2;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    let at = 0;
    tokens.forEach((t, rank) => {
      this.#start[rank] = at;
      this.#pool.set(t, at);
      at += t.length;
      this.#start[rank + 1] = at;
      let slot = this.#hashBytes(t) & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = rank + 1;
    });
  }

  #hashBytes(bytes: Uint8Array): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    return h >>> 0;
  }

  /** Rank of the token whose bytes are the char codes of binary[from, to), or -1. */
  rank(binary: string, from: number, to: number): number {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ binary.charCodeAt(i), 0x01000193);
    const length = to - from;
    for (let slot = (h >>> 0) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const entry = this.#slots[slot]!;
      if (entry === 0) return -1;
      const rank = entry - 1;
      const start = this.#start[rank]!;
      if (this.#start[rank + 1]! - start !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (this.#pool[start + i] !== binary.charCodeAt(from + i)) {
          same = false;
          break;
        }
      }
      if (same) return rank;
    }
  }
}

/** Tokens in rank order (ranks are dense from 0 in tiktoken's tables). */
function tokensOf(table: RankTable): Buffer[] {
  const tokens: Buffer[] = [];
  for (const line of table.bpe_ranks.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 3) continue;
    const offset = Number.parseInt(fields[1]!, 10);
    for (let i = 2; i < fields.length; i++) tokens[offset + i - 2] = Buffer.from(fields[i]!, 'base64');
  }
  for (let r = 0; r < tokens.length; r++) if (!tokens[r]) throw new Error(`rank table has no token for rank ${r}`);
  return tokens;
}

export function createBpeCounter(table: RankTable): BpeCounter {
  // Token bytes are handled as latin1 "binary strings": one char per byte.
  const ranks = new RankTableIndex(tokensOf(table));
  const maxTokenBytes = ranks.maxTokenBytes;
  const splitter = new RegExp(table.pat_str, 'gu');
  // Words repeat a lot in real text; remembering piece counts roughly halves the cost of typical prompts.
  const pieceCache = new Map<string, number>();

  function pairRank(bytes: string, start: number, next: Int32Array): number {
    const mid = next[start]!;
    if (mid >= bytes.length) return -1;
    const end = next[mid]!;
    if (end - start > maxTokenBytes) return -1;
    return ranks.rank(bytes, start, end);
  }

  function countPiece(bytes: string): number {
    const n = bytes.length;
    if (n <= 1 || (n <= maxTokenBytes && ranks.rank(bytes, 0, n) >= 0)) return 1;
    // Every token is at least one byte (byte-level BPE), so n is a sound upper bound for absurdly long pieces.
    if (n >= POSITION_SPAN) return n;
    // Parts form a linked list of start offsets; a part runs from its start to the next part's start.
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const rankOf = new Int32Array(n);
    const heap: number[] = [];
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    for (let i = 0; i < n - 1; i++) {
      rankOf[i] = pairRank(bytes, i, next);
      if (rankOf[i]! >= 0) heapPush(heap, rankOf[i]! * POSITION_SPAN + i);
    }
    rankOf[n - 1] = -1;
    let parts = n;
    while (heap.length > 0) {
      const key = heapPop(heap);
      const rank = Math.floor(key / POSITION_SPAN);
      const start = key - rank * POSITION_SPAN;
      // Stale entry: the pair at `start` changed (or the part was absorbed) since this was pushed.
      if (rankOf[start] !== rank) continue;
      const absorbed = next[start]!;
      next[start] = next[absorbed]!;
      if (next[start]! < n) prev[next[start]!] = start;
      rankOf[absorbed] = -1;
      parts--;
      rankOf[start] = pairRank(bytes, start, next);
      if (rankOf[start]! >= 0) heapPush(heap, rankOf[start]! * POSITION_SPAN + start);
      const before = prev[start]!;
      if (before >= 0) {
        rankOf[before] = pairRank(bytes, before, next);
        if (rankOf[before]! >= 0) heapPush(heap, rankOf[before]! * POSITION_SPAN + before);
      }
    }
    return parts;
  }

  const textCache = new Map<string, number>();
  let textCacheChars = 0;

  function count(text: string): number {
    const cacheable = text.length >= TEXT_CACHE_MIN_CHARS && text.length <= TEXT_CACHE_CHARS / 10;
    if (cacheable) {
      const known = textCache.get(text);
      if (known !== undefined) return known;
    }
    const total = countPieces(text);
    if (cacheable) {
      if (textCacheChars + text.length > TEXT_CACHE_CHARS) {
        textCache.clear();
        textCacheChars = 0;
      }
      textCache.set(text, total);
      textCacheChars += text.length;
    }
    return total;
  }

  function countPieces(text: string): number {
    let total = 0;
    splitter.lastIndex = 0;
    for (let match = splitter.exec(text); match !== null; match = splitter.exec(text)) {
      const piece = match[0];
      const cached = pieceCache.get(piece);
      if (cached !== undefined) {
        total += cached;
        continue;
      }
      const bytes = NON_ASCII.test(piece) ? Buffer.from(piece, 'utf8').toString('latin1') : piece;
      const pieceCount = countPiece(bytes);
      if (pieceCache.size >= PIECE_CACHE_LIMIT) pieceCache.clear();
      if (piece.length <= 64) pieceCache.set(piece, pieceCount);
      total += pieceCount;
    }
    return total;
  }

  return { count };
}

/* A minimal binary min-heap of numbers. */

function heapPush(heap: number[], value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length === 0) return top;
  let i = 0;
  const n = heap.length;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    const child = right < n && heap[right]! < heap[left]! ? right : left;
    if (heap[child]! >= last) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
