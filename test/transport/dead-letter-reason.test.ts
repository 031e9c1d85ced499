// The dead-letter reason: one module writes its text and reads it back, so
// what a DLQ entry says is what the consumer meant; a reason written by
// another program (a LeanMQ service) is kept whole.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DeadLetterKind, formatReason, parseReason, reasonOf, type DeadLetterReason } from "../../src/transport/dead-letter-reason.js";

const kinds = Object.values(DeadLetterKind);

test("the texts the consumer writes", () => {
  assert.equal(
    formatReason({ kind: "handler-failed", attempt: 3, maxAttempts: 3, detail: "Error: card declined" }),
    "handler-failed (attempt 3 of 3): Error: card declined",
  );
  assert.equal(formatReason(reasonOf(DeadLetterKind.expired, "the message's TTL of 5 s ran out")), "expired: the message's TTL of 5 s ran out");
});

test("every reason reads back as it was written, whatever its detail holds", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...kinds),
      fc.option(fc.tuple(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 })), { nil: undefined }),
      fc.string(),
      (kind, attempts, detail) => {
        const reason: DeadLetterReason = { kind, attempt: attempts?.[0], maxAttempts: attempts?.[1], detail };
        assert.deepEqual(parseReason(formatReason(reason)), reason);
      },
    ),
  );
});

test("a reason another program wrote is all detail, with no kind", () => {
  for (const text of [
    "",
    "payment gateway timeout",
    "handler-failed",
    "handler-failed(attempt 1 of 2): x",
    "handler-failed (attempt one of 2): x",
    "handler-failed (attempt 1 of 2) : x",
    "handler-failed (try 1 of 2): x",
    "handler-failed (attempt 1 of 2 x): y",
    "retry-later: x",
  ]) {
    assert.deepEqual(parseReason(text), { kind: undefined, attempt: undefined, maxAttempts: undefined, detail: text }, text);
  }
});
