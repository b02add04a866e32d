// `parse`: the text of a document, as RocketRide's parse component gives it
// from the raw item on `tags` (or text that is already text). The format is
// told by the mime type, else the name's extension: PDF (unpdf), DOCX
// (mammoth), HTML (html-to-text); JSON, CSV, Markdown and any other text are
// their UTF-8 text. The libraries load on the first document that needs them.
import type { ComponentFactory, Emission } from '../component.js';
import type { BinaryValue } from './sources.js';

type Format = 'pdf' | 'docx' | 'html' | 'text';

const BY_EXTENSION: Record<string, Format> = { pdf: 'pdf', docx: 'docx', html: 'html', htm: 'html' };

export function formatOf(mimeType: string, name: string): Format {
  const type = mimeType.toLowerCase().split(';')[0]!.trim();
  if (type === 'application/pdf') return 'pdf';
  if (type === 'application/vnd.openxmlformats-officedocument.wordprocessingml.document') return 'docx';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  return BY_EXTENSION[name.toLowerCase().split('.').pop() ?? ''] ?? 'text';
}

const isBinaryValue = (v: unknown): v is BinaryValue => typeof v === 'object' && v !== null && typeof (v as BinaryValue).base64 === 'string';

export async function extractText(bytes: Buffer, format: Format, what: string): Promise<string> {
  if (format === 'pdf') {
    const { extractText: pdfText } = await import('unpdf');
    try {
      return (await pdfText(new Uint8Array(bytes), { mergePages: true })).text;
    } catch (err) {
      throw new Error(`parse: ${what} is not a readable PDF (${(err as Error).message})`);
    }
  }
  if (format === 'docx') {
    const mammoth = await import('mammoth');
    try {
      return (await mammoth.default.extractRawText({ buffer: bytes })).value;
    } catch (err) {
      throw new Error(`parse: ${what} is not a readable DOCX document (${(err as Error).message})`);
    }
  }
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let decoded: string;
  try {
    decoded = text.decode(bytes);
  } catch {
    throw new Error(`parse: ${what} is neither text (UTF-8) nor a format parse reads (PDF, DOCX, HTML, JSON, CSV, Markdown, plain text)`);
  }
  if (format === 'html') {
    const { convert } = await import('html-to-text');
    return convert(decoded, { wordwrap: false });
  }
  return decoded;
}

/** Reads `tags` (the raw item) or text; emits the document's text on `text`. */
export const parse: ComponentFactory = () => ({
  async process(_lane, value, item): Promise<Emission[]> {
    if (isBinaryValue(value)) {
      const text = await extractText(Buffer.from(value.base64, 'base64'), formatOf(value.mimeType, value.name), `item "${value.name}" (${value.mimeType})`);
      return [['text', text]];
    }
    if (typeof value === 'string') return [['text', formatOf(item.info.mimeType, item.info.name) === 'html' ? await extractText(Buffer.from(value), 'html', '') : value]];
    return [['text', JSON.stringify(value)]];
  },
});
