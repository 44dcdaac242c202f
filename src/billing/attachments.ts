// Upper bounds, in prompt tokens, for the parts of a prompt no tokenizer can count: files (PDFs and others), audio,
// and anything the relay cannot see (a remote file, a video, an uploaded file id). The reservation uses them; settle
// bills what the upstream reports. Each bound is meant to be high, never low (docs/billing.md, "Counting the prompt"):
//
//   PDF          its bytes + the text its compressed streams inflate to (one token per byte: byte-level BPE never
//                does better) + every page at the model's worst-case image price (vendors bill a PDF as its text and
//                an image of each page). Pages are counted from the file's page objects and page-tree counts,
//                object streams included; a PDF whose pages cannot be counted (encrypted, unknown filters, over the
//                inflate budget) is bounded by the model's context window.
//   audio        WAV: its duration (from the header) at 32 tokens a second, the highest published rate (Gemini's);
//                other formats: one token per 16 bytes, i.e. that rate at 4 kbit/s, below any speech codec in use.
//   other file   one token per byte of it (text of any kind; a video's bit rate is far above 263 tokens a second).
//   unseen       a file by id or URL, a video URL, a part type the relay does not know: the model's context window,
//                the most input an upstream can take (and so bill) at all.
import { inflateSync, constants as zlibConstants } from 'node:zlib';
import { contextWindowOf } from './allowance.js';
import { unknownSizeImageTokens } from './vision.js';

/** Gemini bills a second of audio as 32 tokens: the highest rate published for audio input. */
const AUDIO_TOKENS_PER_SECOND = 32;
/** That rate at 4 kbit/s (500 bytes a second): 32 tokens per 500 bytes, rounded to one token per 16 bytes. */
const AUDIO_BYTES_PER_TOKEN = 16;
/** Most bytes inflated while reading one PDF (its streams can be deflate bombs). */
const MAX_INFLATED_BYTES = 32 * 1024 * 1024;

/** Bytes a base64 payload decodes to, without decoding it. */
export function base64Bytes(data: string): number {
  const clean = data.replace(/\s+/g, '').replace(/=+$/, '');
  return Math.floor((clean.length * 3) / 4);
}

interface DataUriParts {
  mime: string;
  base64: boolean;
  payload: string;
}

/** `data:<mime>[;…][;base64],<payload>`, loosely (a malformed one is the upstream's to refuse; it is bounded anyway). */
function dataUriParts(uri: string): DataUriParts | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),/i.exec(uri);
  if (!match) return undefined;
  const params = (match[2] ?? '').toLowerCase().split(';');
  return { mime: (match[1] ?? '').trim().toLowerCase(), base64: params.includes('base64'), payload: uri.slice(match[0].length) };
}

/** Audio given as base64 (OpenAI's input_audio, an audio data: URI). */
export function audioTokens(base64: string): number {
  const bytes = base64Bytes(base64);
  const header = Buffer.from(base64.slice(0, 64), 'base64'); // the first 48 bytes hold a WAV's format chunk
  const seconds = wavSeconds(header, bytes);
  return seconds !== undefined ? Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND) : Math.ceil(bytes / AUDIO_BYTES_PER_TOKEN);
}

/** A canonical WAV's duration: its size over the byte rate in its `fmt ` chunk (right after the RIFF header). */
function wavSeconds(header: Buffer, totalBytes: number): number | undefined {
  if (header.length < 32 || header.toString('latin1', 0, 4) !== 'RIFF' || header.toString('latin1', 8, 16) !== 'WAVEfmt ') return undefined;
  const byteRate = header.readUInt32LE(28);
  return byteRate >= 100 ? totalBytes / byteRate : undefined; // below 100 bytes a second it is not speech: use bytes
}

/** A `file` part's data (a data: URI) for `model`: PDFs by pages and text, audio by duration, the rest by bytes. */
export function fileTokens(fileData: string, model: string): number {
  const uri = dataUriParts(fileData);
  if (!uri) return contextWindowOf(model); // not inline: a reference the relay cannot read
  const bytes = uri.base64 ? base64Bytes(uri.payload) : Buffer.byteLength(uri.payload, 'utf8');
  if (uri.mime.startsWith('audio/') && uri.base64) return bounded(audioTokens(uri.payload), model);
  const isPdf = uri.mime === 'application/pdf' || (uri.base64 && uri.payload.startsWith('JVBERi0')); // "%PDF-"
  if (!isPdf) return bounded(bytes, model);
  const pdf = readPdf(uri.base64 ? Buffer.from(uri.payload, 'base64') : Buffer.from(uri.payload, 'utf8'));
  if (!pdf) return contextWindowOf(model);
  return bounded(bytes + pdf.inflatedBytes + pdf.pages * unknownSizeImageTokens(model, 'high'), model);
}

/** Input the relay cannot see (a file id or URL, a video URL, an unknown part type). */
export function unseenTokens(model: string): number {
  return contextWindowOf(model);
}

/** No single input can cost more than the model's whole context window (the upstream refuses anything longer). */
function bounded(tokens: number, model: string): number {
  return Math.min(tokens, contextWindowOf(model));
}

interface PdfCounts {
  /** At least this many pages. */
  pages: number;
  /** Bytes the file's deflated streams (text, object streams) inflate to. */
  inflatedBytes: number;
}

const PAGE_OBJECT = /\/Type\s*\/Page(?![A-Za-z])/g;
const PAGE_COUNT = /\/Count\s+(\d{1,9})/g;
const STREAM_START = /(?<![A-Za-z])stream(?:\r\n|\n|\r)/g;

/**
 * Pages and inflated text of a PDF, read without a PDF library: page objects (`/Type /Page`) and the largest page-tree
 * `/Count`, in the file and in its deflated object streams. Undefined when that cannot be trusted to be an upper
 * bound: a stream in another encoding (other than images, which the page images already cover), one that does not
 * inflate (an encrypted file), or more than MAX_INFLATED_BYTES of them.
 */
function readPdf(bytes: Buffer): PdfCounts | undefined {
  const text = bytes.toString('latin1');
  const counted = { pages: 0, maxCount: 0 };
  const scan = (s: string) => {
    counted.pages += s.match(PAGE_OBJECT)?.length ?? 0;
    for (const m of s.matchAll(PAGE_COUNT)) counted.maxCount = Math.max(counted.maxCount, Number(m[1]));
  };
  scan(text);
  let inflatedBytes = 0;
  for (const start of text.matchAll(STREAM_START)) {
    const dataAt = start.index + start[0].length;
    const dictAt = Math.max(text.lastIndexOf('obj', start.index), 0);
    const dict = text.slice(dictAt, start.index);
    const end = text.indexOf('endstream', dataAt);
    if (end < 0) return undefined;
    if (/\/Subtype\s*\/Image/.test(dict)) continue; // billed as part of each page's image
    const filters = [...dict.matchAll(/\/(\w+Decode)\b/g)].map((m) => m[1]);
    if (filters.length === 0) continue; // plain bytes: already counted and scanned
    if (filters.length > 1 || filters[0] !== 'FlateDecode') return undefined; // a chain or another encoding
    let inflated: Buffer;
    try {
      inflated = inflateSync(bytes.subarray(dataAt, end), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        maxOutputLength: MAX_INFLATED_BYTES - inflatedBytes + 1,
      });
    } catch {
      return undefined;
    }
    inflatedBytes += inflated.length;
    if (inflatedBytes > MAX_INFLATED_BYTES) return undefined;
    scan(inflated.toString('latin1'));
  }
  const pages = Math.max(counted.pages, counted.maxCount);
  return pages > 0 ? { pages, inflatedBytes } : undefined;
}
