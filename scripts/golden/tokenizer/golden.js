#!/usr/bin/env node
// Reference token ids for the conformance corpus, from the official Hugging
// Face tokenizers library (its Node binding, the Rust implementation).
//
//   cd scripts/golden/tokenizer && npm install
//   node golden.js [--shared DIR] [--corpus FILE] [--out DIR] [name ...]
//
// For every tokenizer folder in DIR (default: ../shared/tokenizers beside the
// repository) it writes OUT/<name>.jsonl.gz: one JSON object per corpus line,
//   ids   encode(text, addSpecialTokens=false)
//   sp    encode(text, addSpecialTokens=true), when it differs from ids
//   dec   decode(ids, skipSpecialTokens=false), when it differs from text
//   decs  decode(sp or ids, skipSpecialTokens=true), when it differs from dec
// and OUT/manifest.json with the library version and input checksums.
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
const shared = flag('--shared', path.join(repo, '..', 'shared', 'tokenizers'));
const corpusPath = flag('--corpus', path.join(repo, 'tokenizer', 'testdata', 'conformance', 'corpus.jsonl.gz'));
const out = flag('--out', path.join(repo, 'tokenizer', 'testdata', 'conformance', 'golden'));

function readMaybeGz(p) {
  const b = fs.readFileSync(p);
  return p.endsWith('.gz') ? zlib.gunzipSync(b) : b;
}
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function main() {
  const corpusBytes = readMaybeGz(corpusPath);
  const lines = corpusBytes.toString('utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
  let names = args.length ? args : fs.readdirSync(shared).filter((d) => fs.statSync(path.join(shared, d)).isDirectory()).sort();
  fs.mkdirSync(out, { recursive: true });
  const manifestPath = path.join(out, 'manifest.json');
  const manifest = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath)) : { tokenizers: {} };
  manifest.library = 'tokenizers (npm) ' + require('tokenizers/package.json').version;
  manifest.corpus_sha256 = sha256(corpusBytes);
  manifest.corpus_lines = lines.length;
  for (const name of names) {
    const dir = path.join(shared, name);
    const file = ['tokenizer.json', 'tokenizer.json.gz'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    const json = readMaybeGz(file);
    const tok = Tokenizer.fromString(json.toString('utf8'));
    const rows = [];
    for (const text of lines) {
      const ids = Array.from((await tok.encode(text, null, { addSpecialTokens: false })).getIds());
      const sp = Array.from((await tok.encode(text, null, { addSpecialTokens: true })).getIds());
      const dec = await tok.decode(ids, false);
      const decs = await tok.decode(sp, true);
      const row = { ids };
      if (!same(ids, sp)) row.sp = sp;
      if (dec !== text) row.dec = dec;
      if (decs !== dec) row.decs = decs;
      rows.push(JSON.stringify(row));
    }
    const gz = zlib.gzipSync(Buffer.from(rows.join('\n') + '\n'), { level: 9 });
    fs.writeFileSync(path.join(out, name + '.jsonl.gz'), gz);
    manifest.tokenizers[name] = { file: path.relative(shared, file), json_sha256: sha256(json) };
    console.error(`golden: ${name}: ${lines.length} lines`);
  }
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
}
main().catch((e) => { console.error(e); process.exit(1); });
