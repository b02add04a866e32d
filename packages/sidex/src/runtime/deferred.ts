export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

/** A promise resolved from outside: for waits whose end another event decides. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
