// Image type and size detection on tiny images built byte by byte here (no files, no network).
import { deflateSync, crc32 } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { inspectImage, parseDataUri, toDataUri } from '../../src/media/image.js';
import { RelayError } from '../../src/errors.js';

const u16le = (n: number) => Buffer.from([n & 0xff, n >> 8]);
const u32be = (n: number) => Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);

/** A real, decodable PNG: grey pixels, one filter byte per row. */
export function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    return Buffer.concat([u32be(data.length), body, u32be(crc32(body))]);
  };
  const header = Buffer.concat([u32be(width), u32be(height), Buffer.from([8, 0, 0, 0, 0])]); // 8-bit greyscale
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0; // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** GIF89a with a two-colour table and one frame covering the screen. */
function gif(width: number, height: number): Buffer {
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    u16le(width), u16le(height), Buffer.from([0x80, 0, 0]), // global colour table of 2 entries
    Buffer.from([0, 0, 0, 255, 255, 255]),
    Buffer.from([0x2c]), u16le(0), u16le(0), u16le(width), u16le(height), Buffer.from([0]),
    Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]), // LZW data
    Buffer.from([0x3b]),
  ]);
}

/** JPEG markers only: SOI, JFIF APP0, baseline SOF0 (size), EOI. Enough for every header reader. */
function jpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof0 = Buffer.from([0xff, 0xc0, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof0, Buffer.from([0xff, 0xd9])]);
}

/** Extended-format WebP (VP8X): the canvas size is stored as width-1 / height-1 in 24 bits. */
function webp(width: number, height: number): Buffer {
  const u24 = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const vp8x = Buffer.concat([Buffer.from('VP8X', 'latin1'), Buffer.from([10, 0, 0, 0]), Buffer.alloc(4), u24(width - 1), u24(height - 1)]);
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), vp8x]);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.from([body.length, 0, 0, 0]), body]);
}

async function refusal(bytes: Buffer): Promise<RelayError> {
  const error = await inspectImage(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RelayError);
  return error as RelayError;
}

describe('inspectImage', () => {
  it.each([
    ['png', png(3, 2), 'image/png', 3, 2],
    ['gif', gif(5, 4), 'image/gif', 5, 4],
    ['jpeg', jpeg(640, 480), 'image/jpeg', 640, 480],
    ['webp', webp(1024, 768), 'image/webp', 1024, 768],
  ])('reads a %s', async (_name, bytes, mime, width, height) => {
    expect(await inspectImage(bytes)).toEqual({ mime, width, height });
  });

  it.each([
    ['bmp', Buffer.concat([Buffer.from('BM', 'latin1'), Buffer.alloc(60)]), 'image type image/bmp is not supported'],
    ['tiff', Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), Buffer.alloc(40)]), 'image type image/tiff'],
    ['pdf', Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n', 'latin1'), 'image type application/pdf is not supported'],
    ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'), 'image type unknown'],
    ['random bytes', Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 251)), 'image type unknown'],
    ['empty', Buffer.alloc(0), 'image type unknown'],
  ])('refuses %s', async (_name, bytes, message) => {
    const error = await refusal(bytes);
    expect(error.code).toBe('unsupported_image');
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
    expect(error.message).toContain('send png, jpeg, gif or webp');
  });

  it.each([
    ['cut off inside its header', png(4, 4).subarray(0, 18)],
    ['claiming a width of 0', Buffer.concat([png(4, 4).subarray(0, 16), u32be(0), png(4, 4).subarray(20)])],
  ])('refuses a PNG %s', async (_name, bytes) => {
    const error = await refusal(bytes);
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toBe('the image/png image is damaged: its width and height cannot be read');
  });
});

describe('data URIs', () => {
  it('round-trips bytes and reports the declared type', () => {
    const bytes = png(2, 2);
    const uri = toDataUri('image/png', bytes);
    expect(uri.startsWith('data:image/png;base64,iVBORw0KGgo')).toBe(true);
    const parsed = parseDataUri(uri);
    expect(parsed.mime).toBe('image/png');
    expect(parsed.bytes.equals(bytes)).toBe(true);
  });

  it('judges the real type by bytes, not by the declared one', async () => {
    const parsed = parseDataUri(toDataUri('image/png', gif(7, 3)));
    expect(parsed.mime).toBe('image/png');
    expect(await inspectImage(parsed.bytes)).toEqual({ mime: 'image/gif', width: 7, height: 3 });
  });

  it('accepts parameters, upper case and line breaks', () => {
    const parsed = parseDataUri('DATA:Image/JPEG;name=a.jpg;base64,/9j/\n4A==');
    expect(parsed.mime).toBe('image/jpeg');
    expect([...parsed.bytes]).toEqual([0xff, 0xd8, 0xff, 0xe0]);
  });

  it.each([
    ['https://example.test/a.png', 'it does not start with "data:"'],
    ['data:image/png;base64', 'there is no "," between the media type and the data'],
    ['data:;base64,AAAA', 'the media type is missing or invalid'],
    ['data:image/png,rawbytes', 'the data must be base64-encoded'],
    ['data:image/png;base64,', 'the data is empty'],
    ['data:image/png;base64,AAA*', 'the data is not valid base64'],
    ['data:image/png;base64,AAAAA', 'the data is not valid base64'],
  ])('refuses %s', (uri, why) => {
    expect(() => parseDataUri(uri)).toThrow(`malformed data URI: ${why}`);
    try {
      parseDataUri(uri);
    } catch (e) {
      expect((e as RelayError).code).toBe('unsupported_image');
    }
  });

  it('refuses a payload over maxBytes before decoding it', () => {
    const uri = toDataUri('image/png', Buffer.alloc(300));
    expect(() => parseDataUri(uri, 299)).toThrow('image is 300 bytes; the limit is 299 bytes');
    expect(parseDataUri(uri, 300).bytes.length).toBe(300);
  });
});
