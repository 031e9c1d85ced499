import type { QueueKeys } from "./keys.js";
import type { EntryStore } from "./store.js";

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

/**
 * What a reading loop does after a failed read or reclaim (Redis down,
 * restarting, the group gone): create the queue again when the group is
 * gone (Redis lost its data, or someone deleted the queue), report the
 * first failure and every 20th, and wait, longer after each failure in a
 * row (50 ms doubling, at most 1 s) or until `signal` aborts.
 */
export async function recoverFromReadFailure(
  store: EntryStore,
  keys: QueueKeys,
  error: unknown,
  failures: number,
  signal: AbortSignal,
  warn: (message: string) => void,
): Promise<void> {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (message.includes("NOGROUP")) {
    store.forgetQueues?.();
    await store.ensureQueue(keys).catch(() => {}); // a failure here shows on the next read
  }
  if (failures === 1 || failures % 20 === 0) warn(`${message}; retrying (failure ${failures} in a row)`);
  await sleep(Math.min(50 * 2 ** Math.min(failures, 5), 1000), signal);
}
