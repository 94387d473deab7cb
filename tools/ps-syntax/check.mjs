// Syntax gate for PowerShell sources: pwsh cannot be installed here, so every .ps1/.psm1/.psd1 in the
// repository is parsed with tree-sitter-powershell; any ERROR or MISSING node fails the gate (file:line:column).
// Known grammar gap (tree-sitter-powershell 0.26.4): bare-word lists such as `-Name a, b` are reported as errors;
// quote the elements (`-Name 'a', 'b'`), which is clearer anyway.
// Usage: node check.mjs [repository root]   (default: two levels up from this file)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Parser, Language } from 'web-tree-sitter';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[2] ?? join(here, '..', '..'));
const skip = new Set(['.git', 'node_modules', 'bin', 'obj', 'artifacts', 'TestResults']);
const extensions = ['.ps1', '.psm1', '.psd1'];

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) yield* sources(join(dir, entry.name));
    } else if (extensions.some((e) => entry.name.toLowerCase().endsWith(e))) {
      yield join(dir, entry.name);
    }
  }
}

function* problems(node) {
  if (node.type === 'ERROR' || node.isMissing) {
    yield node;
    return; // children of an ERROR node add nothing a reader needs
  }
  for (const child of node.children) yield* problems(child);
}

await Parser.init();
const require = createRequire(import.meta.url);
const wasm = join(dirname(require.resolve('tree-sitter-powershell/package.json')), 'tree-sitter-powershell.wasm');
const parser = new Parser();
parser.setLanguage(await Language.load(wasm));

// A gate that cannot fail is no gate: the grammar must reject an obviously broken script.
if ([...problems(parser.parse('function f { if ($x -eq ').rootNode)].length === 0) {
  console.error('ps-syntax: the grammar accepted a broken script; refusing to vouch for anything');
  process.exit(3);
}

let files = 0;
let failures = 0;
for (const file of sources(root)) {
  files++;
  // Strip a UTF-8 BOM: it is valid in PowerShell files but not part of the grammar.
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const tree = parser.parse(text);
  for (const node of problems(tree.rootNode)) {
    failures++;
    const { row, column } = node.startPosition;
    const what = node.isMissing ? `missing ${node.type}` : `syntax error near: ${node.text.split('\n')[0].slice(0, 60)}`;
    console.error(`${relative(root, file)}:${row + 1}:${column + 1}: ${what}`);
  }
  tree.delete();
}
if (failures > 0) {
  console.error(`ps-syntax: ${failures} problem(s) in ${files} file(s)`);
  process.exit(1);
}
console.log(`ps-syntax: ${files} PowerShell file(s) parsed cleanly`);
