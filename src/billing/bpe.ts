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

  /**
   * Decodes the table's base64 tokens straight into the pool, in two passes over the text (lengths, then bytes), with no
   * object per token: building 200,000 Buffers and the split strings around them left ~75 MB more RSS behind after
   * loading o200k (freed heap that V8 keeps), more than the rest of the relay's own heap.
   */
  constructor(bpeRanks: string) {
    let count = 0;
    eachToken(bpeRanks, (rank) => {
      if (rank + 1 > count) count = rank + 1;
    });
    const lengths = new Int32Array(count).fill(-1);
    eachToken(bpeRanks, (rank, from, to) => {
      lengths[rank] = base64Length(bpeRanks, from, to);
    });
    this.#start = new Int32Array(count + 1);
    let longest = 1;
    for (let r = 0; r < count; r++) {
      const length = lengths[r]!;
      if (length < 0) throw new Error(`rank table has no token for rank ${r}`);
      if (length > longest) longest = length;
      this.#start[r + 1] = this.#start[r]! + length;
    }
    this.maxTokenBytes = longest;
    this.#pool = new Uint8Array(this.#start[count]!);
    let size = 1;
    while (size < count * 2) size *= 2;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    eachToken(bpeRanks, (rank, from, to) => {
      const start = this.#start[rank]!;
      const end = decodeBase64(bpeRanks, from, to, this.#pool, start);
      let h = 0x811c9dc5;
      for (let i = start; i < end; i++) h = Math.imul(h ^ this.#pool[i]!, 0x01000193);
      let slot = (h >>> 0) & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = rank + 1;
    });
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

/**
 * Calls `visit(rank, from, to)` for each base64 token of tiktoken's rank text: lines of `<text> <first rank> <token>…`,
 * the tokens separated by spaces and ranked from the line's first rank on; a line with fewer than three fields has none.
 */
function eachToken(text: string, visit: (rank: number, from: number, to: number) => void): void {
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const first = text.indexOf(' ', pos);
    const second = first < 0 || first >= end ? -1 : text.indexOf(' ', first + 1);
    if (second >= 0 && second < end) {
      let rank = Number.parseInt(text.slice(first + 1, second), 10);
      for (let at = second + 1; ; ) {
        let stop = text.indexOf(' ', at);
        if (stop < 0 || stop > end) stop = end;
        visit(rank++, at, stop);
        if (stop >= end) break;
        at = stop + 1;
      }
    }
    pos = end + 1;
  }
}

const BASE64 = (() => {
  const values = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
})();

/** Bytes that text[from, to) decodes to (padded or not). */
function base64Length(text: string, from: number, to: number): number {
  while (to > from && text.charCodeAt(to - 1) === 61) to--; // '='
  return Math.floor(((to - from) * 6) / 8);
}

/** Decodes text[from, to) into out at `at`; returns where the bytes end. */
function decodeBase64(text: string, from: number, to: number, out: Uint8Array, at: number): number {
  let bits = 0;
  let acc = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 61) break;
    const v = c < 128 ? BASE64[c]! : -1;
    if (v < 0) throw new Error(`rank table has a token that is not base64: ${text.slice(from, to)}`);
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >> bits) & 0xff;
    }
  }
  return at;
}

export function createBpeCounter(table: RankTable): BpeCounter {
  // Token bytes are handled as latin1 "binary strings": one char per byte.
  const ranks = new RankTableIndex(table.bpe_ranks);
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
