// The time a host function may take: the smallest of the request's own timeout (or the default), the
// plugin's CallContext (a request for less, never more), the host's cap, and the time left in the
// host's own deadline for the whole plugin call (which the plugin cannot move).

/** Seconds a host function may take; `callDeadline` is the host's deadline (performance.now() ms). */
export function effectiveTimeout(requestedMs, defaultSeconds, context, { cap, callDeadline } = {}) {
  const limits = [Number(requestedMs) > 0 ? Number(requestedMs) / 1000 : defaultSeconds];
  if (cap !== undefined) limits.push(cap);
  if (callDeadline !== undefined) limits.push((callDeadline - performance.now()) / 1000);
  if (context) {
    if (context.timeoutMs > 0n) limits.push(Number(context.timeoutMs) / 1000);
    if (context.deadline) {
      const deadlineMs = Number(context.deadline.seconds) * 1000 + context.deadline.nanos / 1e6;
      limits.push((deadlineMs - Date.now()) / 1000);
    }
  }
  return Math.max(0.001, Math.min(...limits));
}
