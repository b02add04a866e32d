import fc from 'fast-check';

// Non-finite numbers are left out: JSON turns them into null, which means "absent".
export const wrongType = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));

/** Text that is not a JSON object: not JSON at all, or another JSON value. */
export const notJsonObject = fc.string({ maxLength: 200 }).filter((s) => {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v !== 'object' || v === null || Array.isArray(v);
  } catch {
    return true;
  }
});
