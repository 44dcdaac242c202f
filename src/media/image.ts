// What an image really is, judged from its bytes (never from a declared MIME type or file name), and data: URIs.
// Only the four formats every vision upstream accepts pass: PNG, JPEG, GIF and WebP. Sizes are read from headers;
// pixels are never decoded, so a "decompression bomb" costs nothing here.
import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import { RelayError } from '../errors.js';

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export interface ImageInfo {
  mime: ImageMime;
  width: number;
  height: number;
}

/** The real type per file-type → the type image-size must agree on, so both readers see the same format. */
const SUPPORTED: Record<ImageMime, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function isSupported(mime: string): mime is ImageMime {
  return Object.hasOwn(SUPPORTED, mime);
}

export async function inspectImage(bytes: Uint8Array): Promise<ImageInfo> {
  const detected = await fileTypeFromBuffer(bytes);
  const mime = detected?.mime ?? 'unknown';
  if (!isSupported(mime)) {
    throw new RelayError('unsupported_image', `image type ${mime} is not supported; send png, jpeg, gif or webp`);
  }
  let size: ReturnType<typeof imageSize>;
  try {
    // A copy in its own ArrayBuffer: image-size reads through DataViews over `input.buffer` with no length, so on a
    // view into a bigger buffer (Node's pooled Buffers) a truncated header would be "completed" from unrelated bytes.
    size = imageSize(new Uint8Array(bytes));
  } catch {
    throw new RelayError('unsupported_image', `the ${mime} image is damaged: its width and height cannot be read`);
  }
  if (size.type !== SUPPORTED[mime] || !(size.width > 0) || !(size.height > 0)) {
    throw new RelayError('unsupported_image', `the ${mime} image is damaged: its width and height cannot be read`);
  }
  return { mime, width: size.width, height: size.height };
}

export interface DataUri {
  /** The MIME type the URI declares (lower-cased). Trust `inspectImage(bytes).mime` instead for what it really is. */
  mime: string;
  bytes: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Parses `data:<mime>[;param…];base64,<data>`. Only base64 payloads are accepted (images are binary). `maxBytes`
 * refuses an oversized payload before decoding it.
 */
export function parseDataUri(uri: string, maxBytes = Number.POSITIVE_INFINITY): DataUri {
  if (!/^data:/i.test(uri)) throw malformed('it does not start with "data:"');
  const comma = uri.indexOf(',');
  if (comma < 0) throw malformed('there is no "," between the media type and the data');
  const params = uri.slice(5, comma).split(';').map((p) => p.trim().toLowerCase());
  const mime = params[0] ?? '';
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(mime)) throw malformed('the media type is missing or invalid');
  if (params[params.length - 1] !== 'base64') throw malformed('the data must be base64-encoded (";base64,")');
  const data = uri.slice(comma + 1).replace(/\s+/g, '');
  if (data.length === 0) throw malformed('the data is empty');
  if (!BASE64.test(data) || data.replace(/=+$/, '').length % 4 === 1) throw malformed('the data is not valid base64');
  const decodedSize = Math.floor((data.replace(/=+$/, '').length * 3) / 4);
  if (decodedSize > maxBytes) {
    throw new RelayError('unsupported_image', `image is ${decodedSize} bytes; the limit is ${maxBytes} bytes`);
  }
  return { mime, bytes: Buffer.from(data, 'base64') };
}

export function toDataUri(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

function malformed(why: string): RelayError {
  return new RelayError('unsupported_image', `malformed data URI: ${why}`);
}
