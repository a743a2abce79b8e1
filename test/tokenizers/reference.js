// Encodes each line of a file with Hugging Face's tokenizers (the Node
// binding of the Rust library) and prints one JSON object per line, in the
// form tessera-tokenize --json prints (offsets in code points here; the
// comparison converts Tessera's byte offsets).
//
// usage: node reference.js NODE_MODULES TOKENIZER_JSON LINES [PAIRS]
//        [--no-special-tokens] [--max-length=N] [--time] [--batch]
// --batch encodes all lines in one encodeBatch call (the library's thread
// pool; no per-call overhead of the binding) instead of one at a time.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')));
  const [modules, tokenizerPath, linesPath, pairsPath] = args;
  const { Tokenizer } = require(path.join(path.resolve(modules), 'tokenizers'));
  const tokenizer = Tokenizer.fromFile(tokenizerPath);
  const split = (p) => fs.readFileSync(p, 'utf8').replace(/\n$/, '').split('\n');
  const lines = split(linesPath);
  const pairs = pairsPath ? split(pairsPath) : null;
  const special = !flags.has('--no-special-tokens');
  for (const flag of flags)
    if (flag.startsWith('--max-length='))
      tokenizer.setTruncation(Number(flag.split('=')[1]));
  const start = process.hrtime.bigint();
  let encodings = [];
  if (flags.has('--batch'))
    encodings = await tokenizer.encodeBatch(
        lines.map((line, i) => (pairs ? [line, pairs[i]] : line)),
        { addSpecialTokens: special });
  else
    for (let i = 0; i < lines.length; i++)
      encodings.push(await tokenizer.encode(lines[i], pairs ? pairs[i] : null,
                                            { addSpecialTokens: special }));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (flags.has('--time'))
    process.stderr.write(`encoded ${lines.length} texts in ${seconds.toFixed(6)} s\n`);
  const out = [];
  for (const e of encodings) {
    out.push(JSON.stringify({
      ids: e.getIds(),
      type_ids: e.getTypeIds(),
      attention_mask: e.getAttentionMask(),
      special_tokens_mask: e.getSpecialTokensMask(),
      offsets: e.getOffsets(),
      decoded: await tokenizer.decode(e.getIds(), false),
    }));
  }
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`reference.js: ${error.stack || error}\n`);
  process.exit(1);
});
