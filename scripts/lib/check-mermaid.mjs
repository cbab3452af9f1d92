// Parses every ```mermaid block of the markdown files given, with mermaid itself (on a jsdom window).
// Usage: node check-mermaid.mjs FILE.md...   Prints one line per diagram; exit 1 if any fails to parse.
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const blocks = [...readFileSync(file, "utf8").matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const [i, block] of blocks.entries()) {
    try {
      const result = await mermaid.parse(block);
      console.log(`ok      ${file}: diagram ${i + 1} parses (${result.diagramType})`);
    } catch (e) {
      failed++;
      console.log(`FAILED  ${file}: diagram ${i + 1}: ${e.message.split("\n")[0]}`);
    }
  }
}
process.exit(failed ? 1 : 0);
