// Small real files for the billing tests: PDFs with a chosen number of pages (plain, padded to a size, with the page
// tree inside a compressed object stream, or with a content stream in a given encoding) and PCM WAV audio.
import { deflateSync } from 'node:zlib';

export interface PdfOptions {
  pages: number;
  /** Pad with an unfiltered content stream until the file is about this size. */
  bytes?: number;
  /** Put the page tree (every /Type /Page and the /Count) in a FlateDecode object stream, as PDF 1.5 writers do. */
  objectStreams?: boolean;
  /** One content stream with these bytes and this /Filter. */
  content?: Buffer;
  filter?: string;
}

/** A PDF that readers (and the relay's page counter) can take apart: catalog, page tree, pages, content. */
export function makePdf(o: PdfOptions): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const pageIds = Array.from({ length: o.pages }, (_, i) => 10 + i);
  const contentId = 5;
  const pagesDict = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${o.pages} >>`;
  const pageDict = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${contentId} 0 R >>`;
  const obj = (id: number, body: string) => parts.push(Buffer.from(`${id} 0 obj\n${body}\nendobj\n`, 'latin1'));
  const stream = (id: number, dict: string, data: Buffer) => {
    parts.push(Buffer.from(`${id} 0 obj\n<< ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream\nendobj\n', 'latin1'));
  };
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  if (o.objectStreams) {
    const objects = [pagesDict, ...pageIds.map(() => pageDict)];
    const ids = [2, ...pageIds];
    let offsets = '';
    let body = '';
    for (const [i, text] of objects.entries()) {
      offsets += `${ids[i]} ${body.length} `;
      body += `${text}\n`;
    }
    const raw = Buffer.from(offsets + body, 'latin1');
    stream(3, `/Type /ObjStm /N ${objects.length} /First ${offsets.length} /Filter /FlateDecode`, deflateSync(raw));
  } else {
    obj(2, pagesDict);
    for (const id of pageIds) obj(id, pageDict);
  }
  if (o.content) stream(contentId, o.filter ? `/Filter /${o.filter}` : '', o.content);
  else stream(contentId, '', Buffer.from('BT /F1 12 Tf 72 712 Td (Hello) Tj ET'));
  const size = parts.reduce((s, p) => s + p.length, 0);
  if (o.bytes && o.bytes > size + 200) {
    // Page text as a PDF writer leaves it uncompressed: printable operators, no binary.
    const filler = Buffer.alloc(o.bytes - size - 200, 'BT (lorem ipsum dolor sit amet) Tj ET\n');
    stream(6, '', filler);
  }
  parts.push(Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'));
  return Buffer.concat(parts);
}

/** 16-bit mono PCM WAV of silence. */
export function makeWav(o: { seconds: number; sampleRate: number }): Buffer {
  const data = Math.round(o.seconds * o.sampleRate) * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(o.sampleRate, 24);
  header.writeUInt32LE(o.sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}
