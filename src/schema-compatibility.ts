/**
 * Whether a new version of an event type's schema still reads what the old
 * one wrote, and what the old one's readers make of what the new one
 * writes: the changes that break either, field by field.
 */
import { describedEnums, describedMessages, type DescribedField, type DescriptorSet } from "./descriptor-set.js";
import { FieldType } from "./schema/descriptors.js";

const TYPE_NAMES = new Map<number, string>(Object.entries(FieldType).map(([name, n]) => [n, name.toLowerCase()]));

function typeText(f: DescribedField): string {
  const base = f.type === FieldType.MESSAGE || f.type === FieldType.ENUM || f.type === FieldType.GROUP ? f.typeName.replace(/^\./, "") : (TYPE_NAMES.get(f.type) ?? `type ${f.type}`);
  return f.label === 3 ? `repeated ${base}` : base;
}

/**
 * The changes from `before` to `after` (two versions of one event type)
 * that break wire or JSON compatibility, one sentence each; empty when
 * `after` only adds (fields, messages, enum values). Breaking, in every
 * message the event type reaches in `before` and still names in `after`:
 *
 * - a field removed (readers that need it would get its default), or its number given to another field;
 * - a field renamed (the JSON form keys fields by name);
 * - a field's type changed, message and enum types included, or its
 *   cardinality (singular ↔ repeated);
 * - an enum value removed or renamed (the JSON form writes enum names).
 *
 * The event type itself must keep its full name: `root` names it.
 */
export function breakingChanges(before: DescriptorSet, after: DescriptorSet, root: string): string[] {
  return changesBetween(before, after, root).flatMap((c) => (c.addition ? [] : [c.text]));
}

/**
 * Whether `after` is an earlier shape of `before`: it differs only by
 * lacking fields `before` has (what an older publisher's schema looks like
 * next to a newer one already registered).
 */
export function isOlderShape(before: DescriptorSet, after: DescriptorSet, root: string): boolean {
  const changes = changesBetween(before, after, root);
  return changes.length > 0 && changes.every((c) => c.removed);
}

interface Change {
  readonly text: string;
  /** A field removed (what an older shape shows). */
  readonly removed: boolean;
  /** Not a breaking change: `after` adds fields or enum values (what an older shape does not). */
  readonly addition?: boolean;
}

function changesBetween(before: DescriptorSet, after: DescriptorSet, root: string): Change[] {
  const found: Change[] = [];
  let additions = false;
  const changes = { push: (text: string) => void found.push({ text, removed: / was removed$/.test(text) && !text.startsWith("the value ") }) };
  const oldMessages = describedMessages(before);
  const newMessages = describedMessages(after);
  if (!newMessages.has(root)) return [{ text: `the message ${root} is gone`, removed: false }];
  // Only what the event type reaches through fields that stay: walk from the root.
  const seen = new Set<string>();
  const walk = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const was = oldMessages.get(name);
    const now = newMessages.get(name);
    if (!was || !now) return;
    const nowByNumber = new Map(now.field.map((f) => [f.number, f]));
    for (const f of was.field) {
      const g = nowByNumber.get(f.number);
      const where = `${name}.${f.name} (field ${f.number})`;
      if (!g) {
        changes.push(`${where} was removed`);
        continue;
      }
      if (g.name !== f.name) changes.push(`${where} was renamed to ${g.name}`);
      if (typeText(g) !== typeText(f)) changes.push(`${where} changed type from ${typeText(f)} to ${typeText(g)}`);
      else if (f.typeName !== "") walk(f.typeName.slice(1));
    }
    const wasNumbers = new Set(was.field.map((f) => f.number));
    if (now.field.some((f) => !wasNumbers.has(f.number))) additions = true;
  };
  walk(root);
  const oldEnums = describedEnums(before);
  const newEnums = describedEnums(after);
  for (const [name, was] of oldEnums) {
    const now = newEnums.get(name);
    if (!now) continue; // no longer used: the field that used it is reported
    const byNumber = new Map(now.value.map((v) => [v.number, v.name]));
    for (const v of was.value) {
      const named = byNumber.get(v.number);
      if (named === undefined) changes.push(`the value ${v.name} (${v.number}) of enum ${name} was removed`);
      else if (named !== v.name) changes.push(`the value ${v.name} (${v.number}) of enum ${name} was renamed to ${named}`);
    }
    const wasNumbers = new Set(was.value.map((v) => v.number));
    if (now.value.some((v) => !wasNumbers.has(v.number))) additions = true;
  }
  // (an addition counts against being an older shape, never as a breaking change)
  if (additions) found.push({ text: "", removed: false, addition: true });
  return found;
}
