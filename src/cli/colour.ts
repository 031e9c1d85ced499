/** Whether the CLI's output gets colour, and the colours: none unless the stream is a terminal, never with NO_COLOR. */

/** Wraps text in one style; the identity when colour is off. */
export type Style = (text: string) => string;

/** The styles the CLI uses. */
export interface Paint {
  readonly enabled: boolean;
  readonly bold: Style;
  readonly dim: Style;
  readonly red: Style;
  readonly yellow: Style;
  readonly green: Style;
  readonly cyan: Style;
}

/**
 * Whether to colour what goes to `stream`: `--color` / `--no-color` decide
 * when given; else none when `NO_COLOR` is set to anything but "" (see
 * https://no-color.org), colour when `FORCE_COLOR` is set to anything but
 * "" or "0", and otherwise colour only on a terminal whose `TERM` is not
 * `dumb`. Piped output is never coloured unless asked.
 */
export function wantsColour(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "" && force !== "0") return true;
  return stream.isTTY === true && env["TERM"] !== "dumb";
}

const style =
  (open: number, close: number): Style =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Style = (text) => text;

/** The styles, on or off. */
export function paint(enabled: boolean): Paint {
  if (!enabled) return { enabled, bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain };
  return { enabled, bold: style(1, 22), dim: style(2, 22), red: style(31, 39), yellow: style(33, 39), green: style(32, 39), cyan: style(36, 39) };
}
