// Values as they travel between servers: JSON, with bytes (an item's data) as base64.

interface WireBytes {
  $bytes: string;
}

const isWireBytes = (value: object): value is WireBytes => Object.keys(value).length === 1 && typeof (value as WireBytes).$bytes === 'string';

export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } satisfies WireBytes;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  return value;
}

export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value !== null && typeof value === 'object') {
    if (isWireBytes(value)) return Buffer.from(value.$bytes, 'base64');
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
  }
  return value;
}
