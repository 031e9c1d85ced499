/** Running one `eventwire …` command line: global options, help, the command, errors and the exit status. */
import type { Logger } from "../redis/index.js";
import { helpText, parseCommand, stringOption, type Command, type Io } from "./command.js";
import { decode, encode } from "./commands/codec.js";
import { dlqDelete, dlqList, dlqRequeue } from "./commands/dlq.js";
import { init } from "./commands/init.js";
import { publish } from "./commands/publish.js";
import { queues } from "./commands/queues.js";
import { tail } from "./commands/tail.js";
import { types } from "./commands/types.js";
import { CliError, ExitCode, explain } from "./errors.js";
import { eventwirePackage } from "./package-info.js";
import { Session } from "./session.js";

/** Every command, in the order the help lists them. */
export const commands: readonly Command[] = [init, publish, tail, decode, encode, queues, dlqList, dlqRequeue, dlqDelete, types];

function mainHelp(): string {
  const rows = commands.map((c) => [`${c.name}${c.args ? " " + c.args : ""}`, c.summary] as const);
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    "eventwire: set up a project's event types; publish, read and repair eventwire's queues on Redis; encode and decode events",
    "",
    "Usage: eventwire <command> [arguments] [options]",
    "",
    "Commands:",
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    "",
    "Options most commands take:",
    "  --redis URL    Redis to use (default: $REDIS_URL, else redis://127.0.0.1:6379)",
    "  --prefix P     the queues' key prefix (default: mq:; the event bus's queues are under events:)",
    "  --proto PATH   more event types, from the .proto files in a folder (or one file); repeatable",
    "  --json         print JSON, for scripts",
    "  -h, --help     help on a command: eventwire <command> --help",
    "",
    "Exit status: 0 done; 1 failed (Redis unreachable or refusing, ids not found);",
    "2 wrong command line or input; 130 interrupted.",
    "",
  ].join("\n");
}

/** Finds the command the arguments name (`dlq requeue` takes two words). */
function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(" ");
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

/** A logger for the transport: warnings and errors on standard error. */
function stderrLogger(io: Io): Logger {
  return {
    warn: (message) => void io.stderr.write(`eventwire: warning: ${message}\n`),
    error: (message) => void io.stderr.write(`eventwire: error: ${message}\n`),
  };
}

/** Runs the CLI on `argv` (without `node` and the script); resolves to the exit status. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.stderr.write(mainHelp());
    return ExitCode.usage;
  }
  if (first === "--help" || first === "-h" || (first === "help" && argv.length === 1)) {
    io.stdout.write(mainHelp());
    return ExitCode.ok;
  }
  if (first === "--version" || first === "-v") {
    io.stdout.write(`eventwire ${eventwirePackage()?.version ?? "unknown"}\n`);
    return ExitCode.ok;
  }
  const helpFor = first === "help" ? findCommand(argv.slice(1)) : undefined;
  if (helpFor) {
    io.stdout.write(helpText(helpFor.command));
    return ExitCode.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const hint = first === "dlq" ? 'The dlq commands are "dlq list", "dlq requeue" and "dlq delete".' : 'Run "eventwire --help" for the commands.';
    return report(new CliError(`unknown command ${JSON.stringify(argv.slice(0, first === "dlq" ? 2 : 1).join(" "))}`, ExitCode.usage, hint), "eventwire", io);
  }
  const { command, rest } = found;
  let session: Session | undefined;
  try {
    const { values, positionals, help } = parseCommand(command, rest);
    if (help) {
      io.stdout.write(helpText(command));
      return ExitCode.ok;
    }
    session = new Session(
      { redis: stringOption(values, "redis"), prefix: stringOption(values, "prefix"), proto: values["proto"] as string[] | undefined },
      stderrLogger(io),
    );
    return await command.run({ values, positionals, session, io });
  } catch (error) {
    return report(explain(error, { redis: session?.where ?? "", command: command.name }), `eventwire ${command.name}`, io);
  } finally {
    await session?.close().catch(() => {});
  }
}

function report(error: CliError | Error, who: string, io: Io): number {
  if (error instanceof CliError) {
    io.stderr.write(`${who}: ${error.message}\n${error.hint ? error.hint + "\n" : ""}`);
    return error.exitCode;
  }
  io.stderr.write(`${who}: unexpected error (a bug; please report it):\n${error.stack ?? error.message}\n`);
  return ExitCode.failure;
}
