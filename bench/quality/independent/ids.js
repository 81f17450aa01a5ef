// Token ids of a text under a tokenizer.json, by the official Hugging Face
// tokenizers library, cut into chunks as eval's protocol cuts them
// (scripts/golden/forward/heldout_ids.js): the input of score.py.
//
//   NODE_PATH=/path/to/node_modules node ids.js TOKENIZER_JSON TEXT OUT_JSON
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');
const { chunks } = require(path.join(__dirname, '..', '..', '..', 'scripts', 'golden', 'forward', 'heldout_ids.js'));

async function main() {
  const [tokFile, textFile, outFile] = process.argv.slice(2);
  if (!outFile) throw new Error('usage: node ids.js TOKENIZER_JSON TEXT OUT_JSON');
  const tok = await Tokenizer.fromFile(tokFile);
  const cs = chunks(fs.readFileSync(textFile));
  const ids = [];
  for (const c of cs) {
    const enc = await tok.encode(c.toString('utf8'), null, { addSpecialTokens: false });
    ids.push(Array.from(enc.getIds()));
  }
  fs.writeFileSync(outFile, JSON.stringify({ chunk_bytes: cs.map((c) => c.length), ids }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
