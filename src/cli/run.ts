/** Running one `eventwire …` command line: global options, help, the command, errors and the exit status. */
import type { Logger } from "../redis/index.js";
import { flagWidth, globalOptions, helpText, optionLines, parseCommand, stringOption, type Command, type Io, type OptionValues } from "./command.js";
import { paint, wantsColour, type Paint } from "./colour.js";
import { decode, encode } from "./commands/codec.js";
import { completionCommand } from "./commands/completion.js";
import { config } from "./commands/config.js";
import { dlqDelete, dlqList, dlqRequeue } from "./commands/dlq.js";
import { init } from "./commands/init.js";
import { partitions } from "./commands/partitions.js";
import { publish } from "./commands/publish.js";
import { queues } from "./commands/queues.js";
import { schemas } from "./commands/schemas.js";
import { tail } from "./commands/tail.js";
import { types } from "./commands/types.js";
import { ui } from "./commands/ui.js";
import { CliError, ExitCode, explain, usageError } from "./errors.js";
import { eventwirePackage } from "./package-info.js";
import { Session } from "./session.js";
import { resolveSettings } from "./settings.js";

/** Every command, in the order the help lists them. */
export const commands: readonly Command[] = [
  init,
  publish,
  tail,
  decode,
  encode,
  queues,
  partitions,
  dlqList,
  dlqRequeue,
  dlqDelete,
  types,
  schemas,
  ui,
  config,
  completionCommand(() => commands),
];

/** Commands of two words (`dlq list`), by their first word. */
export function commandGroups(): Map<string, Command[]> {
  const groups = new Map<string, Command[]>();
  for (const c of commands) {
    const [group, sub] = c.name.split(" ");
    if (sub !== undefined) groups.set(group!, [...(groups.get(group!) ?? []), c]);
  }
  return groups;
}

function mainHelp(): string {
  const rows = commands.map((c) => [`${c.name}${c.args ? " " + c.args : ""}`, c.summary] as const);
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    "eventwire: set up a project's event types; publish, read and repair eventwire's queues on Redis; encode and decode events",
    "",
    "Usage: eventwire [options] <command> [arguments] [options]",
    "",
    "Commands:",
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    "",
    "Options every command takes, before or after it:",
    ...optionLines(globalOptions, flagWidth(globalOptions)),
    `  ${"-h, --help".padEnd(flagWidth(globalOptions))}  help on a command: eventwire <command> --help`,
    `  ${"-v, --version".padEnd(flagWidth(globalOptions))}  eventwire's version`,
    "",
    "Defaults come from the environment (REDIS_URL or REDIS_CLUSTER_NODES, EVENTWIRE_PREFIX,",
    'EVENTWIRE_PROTO), then from eventwire.config.json (looked for upward from here):',
    'see "eventwire config".',
    "",
    "Exit status: 0 done; 1 failed (Redis unreachable or refusing, ids not found);",
    "2 wrong command line or input; 130 interrupted.",
    "",
  ].join("\n");
}

function groupHelp(group: string, members: readonly Command[]): string {
  const rows = members.map((c) => [`${c.name}${c.args ? " " + c.args : ""}`, c.summary] as const);
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    `Usage: eventwire ${group} <${members.map((c) => c.name.split(" ")[1]).join("|")}> [arguments] [options]`,
    "",
    "Commands:",
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    "",
    `Help on one: eventwire ${members[0]!.name} --help`,
    "",
  ].join("\n");
}

/** A logger for the transport: warnings and errors on standard error. */
function stderrLogger(io: Io): Logger {
  return {
    warn: (message) => void io.stderr.write(`eventwire: warning: ${message}\n`),
    error: (message) => void io.stderr.write(`eventwire: error: ${message}\n`),
  };
}

/** The command line split: the global options before the command, the command's words, and what follows them. */
interface Split {
  readonly before: readonly string[];
  readonly words: readonly string[];
  readonly rest: readonly string[];
  readonly help: boolean;
  readonly version: boolean;
}

/**
 * Takes the options in front of the command: the global ones (with their
 * values), `--help` and `--version`. Throws a usage error for any other
 * option there.
 */
function split(argv: readonly string[]): Split {
  const before: string[] = [];
  let help = false;
  let version = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (arg === "-v" || arg === "--version") {
      version = true;
      continue;
    }
    const name = arg.startsWith("--") ? arg.slice(2).split("=")[0]! : "";
    const spec = globalOptions[name];
    if (!spec) throw usageError(`unknown option ${JSON.stringify(arg)}`, 'Run "eventwire --help" for the options every command takes.');
    before.push(arg);
    if (spec.type === "string" && !arg.includes("=")) {
      const value = argv[i + 1];
      if (value === undefined) throw usageError(`option ${arg} needs a value (${spec.value ?? "a value"})`);
      before.push(value);
      i++;
    }
  }
  const rest = argv.slice(i);
  const words: string[] = [];
  for (const w of rest) {
    if (w.startsWith("-") || words.length === 2) break;
    words.push(w);
  }
  return { before, words, rest: rest.slice(words.length), help, version };
}

/** Finds the command the words name (`dlq requeue` takes two). */
function findCommand(words: readonly string[]): { command: Command; used: number } | undefined {
  for (const n of [2, 1]) {
    const name = words.slice(0, n).join(" ");
    const command = commands.find((c) => c.name === name);
    if (command) return { command, used: n };
  }
  return undefined;
}

/** Runs the CLI on `argv` (without `node` and the script); resolves to the exit status. */
export async function run(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const errPaint = paint(wantsColour(io.stderr, env, colourFlag(argv)));
  let parts: Split;
  try {
    parts = split(argv);
  } catch (error) {
    return report(explain(error, { redis: "", command: "" }), "eventwire", io, errPaint);
  }
  const [first, second] = parts.words;
  if (parts.version && first === undefined) {
    io.stdout.write(`eventwire ${eventwirePackage()?.version ?? "unknown"}\n`);
    return ExitCode.ok;
  }
  if (first === undefined) {
    io[parts.help ? "stdout" : "stderr"].write(mainHelp());
    return parts.help ? ExitCode.ok : ExitCode.usage;
  }
  const groups = commandGroups();
  if (first === "help") {
    const asked = parts.words.slice(1).concat(parts.rest.filter((a) => !a.startsWith("-")));
    const found = findCommand(asked);
    if (found) io.stdout.write(helpText(found.command));
    else if (asked[0] !== undefined && groups.has(asked[0])) io.stdout.write(groupHelp(asked[0], groups.get(asked[0])!));
    else if (asked.length === 0) io.stdout.write(mainHelp());
    else return report(unknownCommand(asked[0]!, asked[1]), "eventwire", io, errPaint);
    return ExitCode.ok;
  }
  const found = findCommand(parts.words);
  if (!found) {
    const members = groups.get(first);
    const wantsHelp = parts.help || parts.rest.some((a) => a === "--help" || a === "-h");
    if (members && wantsHelp) {
      io.stdout.write(groupHelp(first, members));
      return ExitCode.ok;
    }
    if (members && second === undefined) {
      io.stderr.write(groupHelp(first, members));
      return ExitCode.usage;
    }
    return report(unknownCommand(first, second), "eventwire", io, errPaint);
  }
  const { command, used } = found;
  // a second word that is not part of the command is its first argument
  const rest = [...parts.words.slice(used), ...parts.rest];
  if (parts.help) {
    io.stdout.write(helpText(command));
    return ExitCode.ok;
  }
  let session: Session | undefined;
  try {
    const { values, positionals, help } = parseCommand(command, [...parts.before, ...rest]);
    if (help) {
      io.stdout.write(helpText(command));
      return ExitCode.ok;
    }
    const outPaint = paint(wantsColour(io.stdout, env, colourValue(values)));
    const settings = resolveSettings({
      redis: stringOption(values, "redis"),
      cluster: stringOption(values, "cluster"),
      prefix: stringOption(values, "prefix"),
      proto: values["proto"] as string[] | undefined,
      config: stringOption(values, "config"),
    }, env);
    session = new Session(settings, stderrLogger(io));
    return await command.run({ values, positionals, session, io, paint: outPaint });
  } catch (error) {
    return report(explain(error, { redis: session?.where ?? "", command: command.name, cluster: session?.cluster ?? false }), `eventwire ${command.name}`, io, errPaint);
  } finally {
    await session?.close().catch(() => {});
  }
}

function unknownCommand(first: string, second: string | undefined): CliError {
  const members = commandGroups().get(first);
  if (members) {
    const names = members.map((c) => `"${c.name}"`);
    return usageError(`unknown command ${JSON.stringify(`${first} ${second ?? ""}`.trim())}`, `The ${first} commands are ${names.slice(0, -1).join(", ")} and ${names.at(-1)}.`);
  }
  return usageError(`unknown command ${JSON.stringify(first)}`, 'Run "eventwire --help" for the commands.');
}

/** `--color` / `--no-color` wherever they are on the command line (the last one wins); undefined when neither. */
function colourFlag(argv: readonly string[]): boolean | undefined {
  let flag: boolean | undefined;
  for (const a of argv) {
    if (a === "--color") flag = true;
    else if (a === "--no-color") flag = false;
  }
  return flag;
}

function colourValue(values: OptionValues): boolean | undefined {
  if (values["no-color"] === true) return false;
  if (values["color"] === true) return true;
  return undefined;
}

function report(error: CliError | Error, who: string, io: Io, p: Paint): number {
  if (error instanceof CliError) {
    io.stderr.write(`${p.bold(who)}: ${p.red(error.message)}\n${error.hint ? error.hint + "\n" : ""}`);
    return error.exitCode;
  }
  io.stderr.write(`${who}: unexpected error (a bug; please report it):\n${error.stack ?? error.message}\n`);
  return ExitCode.failure;
}

