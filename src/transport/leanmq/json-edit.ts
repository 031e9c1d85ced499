/**
 * Edits of a LeanMQ `data` JSON text that keep every byte of it except the
 * ones changed, as LeanMQ's own `json.loads` + change + `json.dumps` would
 * for text it wrote: `_metadata` replaced where it stands, and an item
 * appended to `_failures` or `_requeues` (the list added at the end if
 * absent, before a newly added `_metadata`).
 */

interface Member {
  readonly key: string;
  readonly valueStart: number;
  readonly valueEnd: number;
}

interface ObjectShape {
  readonly members: readonly Member[];
  /** Index of the closing `}`. */
  readonly close: number;
}

/** The top-level members of a JSON object text, or `undefined` when the text is not one. */
export function objectShape(text: string): ObjectShape | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== "{") return undefined;
  i = skipSpace(text, i + 1);
  const members: Member[] = [];
  if (text[i] === "}") return end(text, i, members);
  for (;;) {
    if (text[i] !== '"') return undefined;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    let key: string;
    try {
      key = JSON.parse(text.slice(i, keyEnd)) as string;
    } catch {
      return undefined;
    }
    i = skipSpace(text, keyEnd);
    if (text[i] !== ":") return undefined;
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    if (valueEnd < 0) return undefined;
    members.push({ key, valueStart, valueEnd });
    i = skipSpace(text, valueEnd);
    if (text[i] === ",") {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (text[i] === "}") return end(text, i, members);
    return undefined;
  }
}

function end(text: string, close: number, members: Member[]): ObjectShape | undefined {
  return skipSpace(text, close + 1) === text.length ? { members, close } : undefined;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
  return i;
}

/** The index just past the string starting at `i`, or -1. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\\") j++;
    else if (c === '"') return j + 1;
  }
  return -1;
}

/** The index just past the value starting at `i`, or -1. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        j = skipString(text, j) - 1;
        if (j < 0) return -1;
      } else if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length && !",}] \n\r\t".includes(text[j]!)) j++;
  return j > i ? j : -1;
}

/**
 * `text` with `item` appended to the list under `listKey` and `_metadata`
 * set to `metadata` (both JSON texts), or `undefined` when `text` is not a
 * JSON object.
 */
export function recordMove(text: string, listKey: string, item: string, metadata: string): string | undefined {
  const shape = objectShape(text);
  if (!shape) return undefined;
  const edits: { start: number; end: number; text: string }[] = [];
  const appended: string[] = [];
  const list = findLast(shape.members, listKey);
  if (list && text[list.valueStart] === "[") {
    const inner = text.slice(list.valueStart + 1, list.valueEnd - 1).trim();
    edits.push(
      inner === ""
        ? { start: list.valueStart, end: list.valueEnd, text: `[${item}]` }
        : { start: list.valueEnd - 1, end: list.valueEnd - 1, text: `, ${item}` },
    );
  } else if (list) {
    edits.push({ start: list.valueStart, end: list.valueEnd, text: `[${item}]` });
  } else {
    appended.push(`${JSON.stringify(listKey)}: [${item}]`);
  }
  const meta = findLast(shape.members, "_metadata");
  if (meta) edits.push({ start: meta.valueStart, end: meta.valueEnd, text: metadata });
  else appended.push(`"_metadata": ${metadata}`);
  if (appended.length > 0) {
    const tail = (shape.members.length > 0 ? ", " : "") + appended.join(", ");
    edits.push({ start: shape.close, end: shape.close, text: tail });
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function findLast(members: readonly Member[], key: string): Member | undefined {
  for (let i = members.length - 1; i >= 0; i--) if (members[i]!.key === key) return members[i];
  return undefined;
}
