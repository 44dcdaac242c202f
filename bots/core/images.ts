// Images a user sends with a question, as the content parts of a vision request: each one downloaded by its adapter
// (bounded there), checked to really be PNG, JPEG, GIF or WebP from its bytes, and inlined as a data: URI, which the
// relay prices exactly by the vision rule from the header's width and height.
import { inspectImage, toDataUri } from '../../src/media/image.js';
import type { ContentPart } from '../../src/providers/types.js';
import type { ImageSource } from './types.js';

/** Largest image taken from a chat (Telegram photos are at most a few MB; vision APIs take up to 20 MB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Images per question; more are ignored. */
export const MAX_IMAGES = 4;

/** An image that could not be downloaded or is not an image the upstreams take. */
export class ImageUnreadable extends Error {
  override name = 'ImageUnreadable';
}

export async function readImages(sources: readonly ImageSource[]): Promise<ContentPart[]> {
  const parts: ContentPart[] = [];
  for (const source of sources.slice(0, MAX_IMAGES)) {
    try {
      const { bytes } = await source.fetch();
      if (bytes.byteLength > MAX_IMAGE_BYTES) throw new Error(`image of ${bytes.byteLength} bytes is over the limit`);
      const { mime } = await inspectImage(bytes);
      parts.push({ type: 'image_url', image_url: { url: toDataUri(mime, bytes) } });
    } catch (err) {
      throw new ImageUnreadable('an image could not be read', { cause: err });
    }
  }
  return parts;
}
