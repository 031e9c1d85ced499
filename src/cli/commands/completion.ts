/** `eventwire completion bash|zsh|fish`: a shell completion script for the commands, subcommands and options. */
import { allOptions, type Command } from "../command.js";
import { ExitCode, usageError } from "../errors.js";
import { json } from "../output.js";

/** Values an option takes, when they are few and fixed. */
const CHOICES: Readonly<Record<string, readonly string[]>> = { format: ["json", "binary"] };

/** The commands as completion needs them: the words, and each command's options. */
interface Tree {
  readonly top: readonly string[];
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly options: ReadonlyMap<string, readonly string[]>;
}

function tree(commands: readonly Command[]): Tree {
  const top: string[] = [];
  const groups = new Map<string, string[]>();
  const options = new Map<string, string[]>();
  for (const c of commands) {
    const [first, second] = c.name.split(" ") as [string, string | undefined];
    if (!top.includes(first)) top.push(first);
    if (second !== undefined) groups.set(first, [...(groups.get(first) ?? []), second]);
    options.set(c.name, Object.entries(allOptions(c)).flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])]));
  }
  return { top: [...top, "help"], groups, options };
}

const shellWord = (s: string): string => (/^[\w.:@/=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

function bash(t: Tree): string {
  const cases = [...t.options].map(([name, opts]) => `    ${shellWord(name)}) opts=${shellWord(opts.join(" "))} ;;`);
  const groupCases = [...t.groups].map(([g, subs]) => `      ${g}) COMPREPLY=($(compgen -W ${shellWord(subs.join(" "))} -- "$cur")); return ;;`);
  const choices = Object.entries(CHOICES).map(([o, v]) => `    --${o}) COMPREPLY=($(compgen -W ${shellWord(v.join(" "))} -- "$cur")); return ;;`);
  return `# eventwire completion for bash: eval "$(eventwire completion bash)", e.g. in ~/.bashrc
_eventwire() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local words=() i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      --redis|--cluster|--prefix|--proto|--config) ((i++)) ;;
      -*) ;;
      *) words+=("$w") ;;
    esac
  done
  case "$prev" in
    --proto|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
${choices.join("\n")}
  esac
  if ((\${#words[@]} == 0)); then
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "--help --version ${Object.keys(globalNames(t)).join(" ")}" -- "$cur")); return; fi
    COMPREPLY=($(compgen -W ${shellWord(t.top.join(" "))} -- "$cur")); return
  fi
  local cmd="\${words[0]}"
  if ((\${#words[@]} == 1)); then
    case "$cmd" in
${groupCases.join("\n")}
    esac
  fi
  [[ -n "\${words[1]}" ]] && case "$cmd" in ${[...t.groups.keys()].join("|") || "_"}) cmd="$cmd \${words[1]}" ;; esac
  local opts=""
  case "$cmd" in
${cases.join("\n")}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return; fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _eventwire eventwire
`;
}

function globalNames(t: Tree): Record<string, true> {
  // the options every command shares: those of the first command that every other has too
  const lists = [...t.options.values()];
  const shared = lists[0]!.filter((o) => o.startsWith("--") && o !== "--help" && lists.every((l) => l.includes(o)));
  return Object.fromEntries(shared.map((o) => [o, true] as const));
}

function zsh(t: Tree): string {
  return `#compdef eventwire
# eventwire completion for zsh: eval "$(eventwire completion zsh)", e.g. in ~/.zshrc
autoload -U +X bashcompinit && bashcompinit
${bash(t).split("\n").slice(1).join("\n")}`;
}

function fish(t: Tree, commands: readonly Command[]): string {
  const lines = ["# eventwire completion for fish: eventwire completion fish > ~/.config/fish/completions/eventwire.fish", "complete -c eventwire -f"];
  for (const c of commands) {
    const [first, second] = c.name.split(" ") as [string, string | undefined];
    if (second === undefined) lines.push(`complete -c eventwire -n __fish_use_subcommand -a ${first} -d ${shellWord(c.summary)}`);
    else {
      lines.push(`complete -c eventwire -n "__fish_seen_subcommand_from ${first}; and not __fish_seen_subcommand_from ${t.groups.get(first)!.join(" ")}" -a ${second} -d ${shellWord(c.summary)}`);
    }
    const cond = second === undefined ? `__fish_seen_subcommand_from ${first}` : `__fish_seen_subcommand_from ${second}`;
    for (const [name, spec] of Object.entries(allOptions(c))) {
      lines.push(`complete -c eventwire -n ${shellWord(cond)} -l ${name}${spec.short ? ` -s ${spec.short}` : ""}${spec.type === "string" ? " -r" : ""} -d ${shellWord(spec.help)}`);
    }
  }
  for (const g of t.groups.keys()) if (!commands.some((c) => c.name === g)) lines.push(`complete -c eventwire -n __fish_use_subcommand -a ${g} -d ${shellWord(`the ${g} commands`)}`);
  return lines.join("\n") + "\n";
}

/** Made by `completionCommand(commands)` in run.ts, which knows every command. */
export function completionCommand(all: () => readonly Command[]): Command {
  return {
    name: "completion",
    summary: "Print a shell completion script (bash, zsh or fish).",
    args: "<bash|zsh|fish>",
    details: `
Completes the commands, the dlq subcommands, each command's options (the
global ones, --redis and --cluster among them, everywhere) and --format's
values.

  bash:  eval "$(eventwire completion bash)"          (in ~/.bashrc)
  zsh:   eval "$(eventwire completion zsh)"           (in ~/.zshrc)
  fish:  eventwire completion fish > ~/.config/fish/completions/eventwire.fish

--json prints the commands and their options instead, for other tools.`,
    options: {},
    positionals: { min: 0, max: 1 },
    async run({ values, positionals, io }) {
      const commands = all();
      const t = tree(commands);
      if (values["json"]) {
        io.stdout.write(json({ commands: Object.fromEntries(t.options), choices: CHOICES }));
        return ExitCode.ok;
      }
      const shell = positionals[0];
      if (shell === "bash") io.stdout.write(bash(t));
      else if (shell === "zsh") io.stdout.write(zsh(t));
      else if (shell === "fish") io.stdout.write(fish(t, commands));
      else throw usageError(shell === undefined ? "name the shell: bash, zsh or fish" : `no completion for ${JSON.stringify(shell)}: bash, zsh or fish`, 'Run "eventwire completion --help".');
      return ExitCode.ok;
    },
  };
}
