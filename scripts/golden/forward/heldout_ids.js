// Reference token ids for eval's bits-per-byte tests.
//
// Cuts ../shared/models/heldout.txt into chunks by the protocol in
// ../shared/models/README.md (right after blank lines, at most 65536 bytes a
// chunk), encodes each chunk without special tokens with the official Hugging
// Face tokenizers library and each model's tokenizer.json, and writes
// eval/testdata/heldout/<model>.json.gz: {"chunk_bytes": [...], "ids": [[...], ...]}.
//
//   cd scripts/golden/forward && npm install   # or NODE_PATH=/tmp/npmtok/node_modules
//   node heldout_ids.js [/work/shared/models]
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { Tokenizer } = require('tokenizers');

const models = process.argv[2] || path.join(__dirname, '..', '..', '..', '..', 'shared', 'models');
const out = path.join(__dirname, '..', '..', '..', 'eval', 'testdata', 'heldout');
const maxBytes = 65536;

// Pieces end right after each "\n\n"; consecutive pieces are packed into a
// chunk while it stays within maxBytes (a longer piece is a chunk of its own).
function chunks(buf) {
  const pieces = [];
  let start = 0;
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] === 10 && buf[i + 1] === 10) {
      pieces.push(buf.subarray(start, i + 2));
      start = i + 2;
      i++;
    }
  }
  if (start < buf.length) pieces.push(buf.subarray(start));
  const res = [];
  let cur = [];
  let n = 0;
  for (const p of pieces) {
    if (n > 0 && n + p.length > maxBytes) {
      res.push(Buffer.concat(cur));
      cur = [];
      n = 0;
    }
    cur.push(p);
    n += p.length;
  }
  if (n > 0) res.push(Buffer.concat(cur));
  return res;
}

async function main() {
  const text = fs.readFileSync(path.join(models, 'heldout.txt'));
  const cs = chunks(text);
  fs.mkdirSync(out, { recursive: true });
  for (const m of ['A-mistral', 'B-gpt2']) {
    const tok = await Tokenizer.fromFile(path.join(models, m, 'tokenizer.json'));
    const ids = [];
    for (const c of cs) {
      const enc = await tok.encode(c.toString('utf8'), null, { addSpecialTokens: false });
      ids.push(Array.from(enc.getIds()));
    }
    const doc = { chunk_bytes: cs.map((c) => c.length), ids };
    fs.writeFileSync(path.join(out, m + '.json.gz'), zlib.gzipSync(JSON.stringify(doc), { level: 9 }));
    const total = ids.reduce((a, x) => a + x.length, 0);
    console.log(`${m}: ${cs.length} chunks, ${total} tokens`);
  }
}

module.exports = { chunks };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
