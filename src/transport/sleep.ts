/** Waiting without holding the process: a sleep that an abort signal cuts short, and a wait with a deadline. */

/** Waits `ms`, or less when `signal` aborts first; leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Waits for `work` at most `ms` (0 or less: not at all); resolves true when it settled in time, whether it failed or not. */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  const cancel = new AbortController();
  const settled = work.then(
    () => true,
    () => true,
  );
  if (ms <= 0) return Promise.race([settled, Promise.resolve(false)]);
  const result = await Promise.race([settled, sleep(ms, cancel.signal).then(() => false)]);
  cancel.abort();
  return result;
}
