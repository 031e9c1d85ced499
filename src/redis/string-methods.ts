/** Undoes the process-wide slowdown of string methods that loading ioredis causes in V8; loaded right after ioredis. */

/**
 * Keeps method calls on strings fast for the whole process, whatever is
 * loaded before or after.
 *
 * When String.prototype first becomes the prototype of an ordinary object —
 * ioredis 6 does that as it loads (`class VerbatimString extends String`) —
 * V8 (Node 20) turns its properties into dictionary mode, and every
 * `charCodeAt`, `substring` and even `.length` on a string primitive then
 * takes a slow lookup: a `charCodeAt` loop runs about five times slower, for
 * the rest of the process, in every library (protobufjs's encoder loses a
 * third of its speed). V8 makes a prototype fast again, for good, the first
 * time an inline cache looks a property up through it from an object that
 * has it as prototype. This does that lookup: it cures the slowdown if it
 * has happened, and prevents it if not. It changes nothing observable. It
 * runs where ioredis is loaded (src/redis/connection.ts), so a process that
 * only encodes events never runs it.
 */
function keepStringMethodsFast(): void {
  const probe: unknown = Object.create(String.prototype);
  const look = (o: unknown): unknown => (o as { eventwireProbe?: unknown }).eventwireProbe;
  // (an inline cache starts caching once the function has run a few times)
  for (let i = 0; i < 32; i++) look(probe);
}

keepStringMethodsFast();
