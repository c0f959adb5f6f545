// The API reference stays inside the repository: TypeDoc links platform types (fetch) to MDN;
// those links become plain text (the repository's link test allows no external targets).
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const walk = (dir) => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
const out = process.argv[2] ?? 'docs/api'; // the test writes the reference to a folder of its own
let changed = 0;
for (const file of walk(out).filter((f) => f.endsWith('.md'))) {
  const text = readFileSync(file, 'utf8');
  const local = text.replace(/\[([^\]]*)\]\(https?:\/\/[^)]*\)/g, '$1');
  if (local !== text) (writeFileSync(file, local), changed++);
}
console.log(`${out}: external links made plain text in ${changed} files`);
