import { z } from 'zod';

// A number written in decimal, as query strings, the environment and flags carry one.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number `text` writes in decimal; undefined for anything else ('', ' ', '0x10', '1,5'). */
export const decimalNumber = (text: string): number | undefined => (DECIMAL.test(text) ? Number(text) : undefined);

/**
 * `schema`, taking a number or the decimal text of one. z.coerce.number reads
 * '' and ' ' as 0, '0x10' as 16, true as 1, null as 0 and [5] as 5: values
 * the caller did not write, taken without a word. Here anything but a number
 * or decimal text reaches `schema` as it came, and is refused there.
 */
export const numeric = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (typeof value === 'string' ? (decimalNumber(value) ?? value) : value), schema);
