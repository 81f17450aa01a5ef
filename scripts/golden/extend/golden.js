#!/usr/bin/env node
// Reference token ids for extended tokenizers, from the official Hugging
// Face tokenizers library (its Node binding, the Rust implementation).
//
//   cd scripts/golden/extend && npm install
//   node golden.js DIR [--lines FILE] [--out DIR]
//
// DIR holds one folder per extended tokenizer, as the Go test writes them
// (go test ./extend -run TestGolden -args -extend.write DIR). For each it
// writes OUT/<name>.jsonl.gz, one JSON object per line of the lines file:
//   ids   encode(text, addSpecialTokens=false)
//   sp    encode(text, addSpecialTokens=true), when it differs from ids
//   dec   decode(ids, skipSpecialTokens=false), when it differs from text
// and OUT/manifest.json with the library version and the checksums of the
// lines and of every tokenizer.json, which the Go test compares with its
// own extension to tell stale goldens from wrong ones.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const { Tokenizer } = require('tokenizers');

const repo = path.resolve(__dirname, '..', '..', '..');
const args = process.argv.slice(2);
function flag(name, def) {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}
const linesPath = flag('--lines', path.join(repo, 'extend', 'testdata', 'lines.jsonl.gz'));
const out = flag('--out', path.join(repo, 'extend', 'testdata', 'golden'));
if (args.length !== 1) {
  console.error('usage: node golden.js DIR [--lines FILE] [--out DIR]');
  process.exit(2);
}
const dir = args[0];

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function main() {
  const linesBytes = zlib.gunzipSync(fs.readFileSync(linesPath));
  const lines = linesBytes.toString('utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
  const names = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'tokenizer.json'))).sort();
  fs.mkdirSync(out, { recursive: true });
  const manifest = {
    library: 'tokenizers (npm) ' + require('tokenizers/package.json').version,
    lines_sha256: sha256(linesBytes),
    lines: lines.length,
    tokenizers: {},
  };
  for (const name of names) {
    const json = fs.readFileSync(path.join(dir, name, 'tokenizer.json'));
    const tok = Tokenizer.fromString(json.toString('utf8'));
    const rows = [];
    for (const text of lines) {
      const ids = Array.from((await tok.encode(text, null, { addSpecialTokens: false })).getIds());
      const sp = Array.from((await tok.encode(text, null, { addSpecialTokens: true })).getIds());
      const dec = await tok.decode(ids, false);
      const row = { ids };
      if (!same(ids, sp)) row.sp = sp;
      if (dec !== text) row.dec = dec;
      rows.push(JSON.stringify(row));
    }
    const gz = zlib.gzipSync(Buffer.from(rows.join('\n') + '\n'), { level: 9 });
    fs.writeFileSync(path.join(out, name + '.jsonl.gz'), gz);
    manifest.tokenizers[name] = { json_sha256: sha256(json), vocab_size: tok.getVocabSize(true) };
    console.error(`golden: ${name}: ${lines.length} lines`);
  }
  fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}
main().catch((e) => { console.error(e); process.exit(1); });
