/** The CLI's exit statuses, its own errors, and how every error becomes a message and a status. */
import { isEventwireError } from "../index.js";

/**
 * The CLI's exit statuses. Scripts may rely on them: a status is never
 * renumbered.
 */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Failed: Redis unreachable or refusing a command, or some of the ids given were not found. */
  failure: 1,
  /** The command line or the input is wrong: an unknown command or option, malformed JSON, an unknown event type or queue. */
  usage: 2,
  /** Interrupted (Ctrl-C) before the work was done; what was done is reported. */
  interrupted: 130,
} as const;

/** A failure told to the user: what went wrong, what to do about it, and the exit status. */
export class CliError extends Error {
  override name = "CliError";
  /** The exit status. */
  readonly exitCode: number;
  /** What to do about it, when there is something to say. */
  readonly hint: string | undefined;

  constructor(message: string, exitCode: number, hint?: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** The command line or the input is wrong (exit status 2). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, ExitCode.usage, hint);
}

/** An eventwire error's message without the field path in front (`event_type: no event type …` → `no event type …`). */
export function withoutPath(error: { readonly message: string; readonly path: string }): string {
  return error.path !== "" && error.message.startsWith(`${error.path}: `) ? error.message.slice(error.path.length + 2) : error.message;
}

/** What to do about an event type that is not registered (after the codec's own words for it). */
export function unknownTypeHint(known?: readonly string[]): string {
  const list = known === undefined ? "" : known.length === 0 ? "No event types are known here. " : `Known event types: ${known.join(", ")}. `;
  return `${list}Run "eventwire types" to list them; add your own with --proto DIR (or $EVENTWIRE_PROTO), or read them from Redis where publishers register them ("eventwire schemas").`;
}

/**
 * An event type that is not registered, worded as the codec words it
 * (`no event type "X" is registered`) whichever way it was met: typed on
 * the command line, in a JSON entry or in a binary one.
 */
export function unknownTypeError(name: string, known?: readonly string[]): CliError {
  return usageError(`no event type ${JSON.stringify(name.slice(0, 200))} is registered`, unknownTypeHint(known));
}

/**
 * The error as the user should read it. eventwire's own errors become
 * messages with advice; anything else (a bug) is returned as it is, for its
 * stack to be shown.
 */
export function explain(error: unknown, context: { redis: string; command: string; cluster?: boolean }): CliError | Error {
  if (error instanceof CliError) return error;
  if (isEventwireError(error)) {
    switch (error.code) {
      case "redis-unavailable":
        return new CliError(
          error.message.replace(/\.* Start (a server|the cluster).*$/, "."),
          ExitCode.failure,
          context.cluster
            ? "Start the cluster, or pass --cluster host:port,host:port (or set REDIS_CLUSTER_NODES) to point at its nodes."
            : "Start redis-server, or pass --redis URL (or set REDIS_URL) to point at a running one.",
          { cause: error },
        );
      case "unknown-queue":
        return new CliError(error.message, ExitCode.usage, `Run "eventwire queues" to list the queues (with --prefix events: for the event bus's).`, { cause: error });
      case "unknown-event-type":
        return new CliError(withoutPath(error), ExitCode.usage, unknownTypeHint(), { cause: error });
      case "duplicate-event-type":
      case "invalid-event-type":
        return new CliError(error.message, ExitCode.usage, "Check the .proto files given with --proto.", { cause: error });
      case "invalid-option":
        return new CliError(error.message, ExitCode.usage, `Run "eventwire ${context.command} --help".`, { cause: error });
      case "redis-refused":
      case "closed":
        return new CliError(error.message, ExitCode.failure, undefined, { cause: error });
      default:
        // decoding and validation: the input is wrong
        return new CliError(error.message, ExitCode.usage, undefined, { cause: error });
    }
  }
  if (error instanceof Error && (error.name === "ReplyError" || /Connection is closed|ECONNRE|ETIMEDOUT|EPIPE/.test(error.message))) {
    return new CliError(`Redis at ${context.redis}: ${error.message}`, ExitCode.failure, undefined, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
