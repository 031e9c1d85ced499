// Writes the golden vectors, test/vectors/<EventType>.bin and .json, from
// the fixed inputs in test/vectors/inputs.ts.
//
//   npm run vectors
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { vectorEvents, vectorFiles } from "../test/vectors/inputs.js";

const dir = fileURLToPath(new URL("../test/vectors/", import.meta.url));

for (const event of vectorEvents()) {
  const { bin, json } = vectorFiles(event);
  writeFileSync(`${dir}${event.eventType}.bin`, bin);
  writeFileSync(`${dir}${event.eventType}.json`, json);
  console.log(`${event.eventType}: ${bin.length} bytes binary, ${Buffer.byteLength(json)} bytes JSON`);
}
