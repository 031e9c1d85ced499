/**
 * Ctrl-C for work that must stop cleanly: the first SIGINT (or SIGTERM)
 * aborts the signal, for the work to stop at its next safe point; a second
 * one exits at once.
 */
export function interruptible(onForce: () => void): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (): void => {
    if (controller.signal.aborted) onForce();
    else controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
