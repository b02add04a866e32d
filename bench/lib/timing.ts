/** Milliseconds since `start` (from process.hrtime.bigint()). */
export const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Runs `one` `total` times, `concurrency` at a time; answers how many per second. */
export async function rate(total: number, concurrency: number, one: () => Promise<void>): Promise<number> {
  let next = 0;
  const began = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await one();
    }),
  );
  return total / (ms(began) / 1000);
}
