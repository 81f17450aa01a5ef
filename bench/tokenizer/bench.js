#!/usr/bin/env node
// Times the Hugging Face tokenizers library (npm binding of the Rust crate)
// on a text file, one line per input, with encodeBatch. Run it with
// RAYON_NUM_THREADS=1 for a single thread. Prints the same lines as the Go
// side (see main.go).
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokDir, textPath] = process.argv.slice(2);
  const file = ['tokenizer.json', 'tokenizer.json.gz'].map((f) => path.join(tokDir, f)).find((f) => fs.existsSync(f));
  let json = fs.readFileSync(file);
  if (file.endsWith('.gz')) json = zlib.gunzipSync(json);
  const tok = Tokenizer.fromString(json.toString('utf8'));
  const data = fs.readFileSync(textPath);
  let text = data.toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.split('\n');
  const mb = data.length / 1e6;
  const chunk = 4096;
  const opts = { addSpecialTokens: false };
  await tok.encodeBatch(lines.slice(0, 2000), opts); // warm-up, as on the Go side
  const start = process.hrtime.bigint();
  const out = [];
  for (let i = 0; i < lines.length; i += chunk) {
    const encs = await tok.encodeBatch(lines.slice(i, i + chunk), opts);
    for (const e of encs) out.push(e.getIds());
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  let n = 0;
  const h = crypto.createHash('sha1');
  for (const ids of out) n += ids.length;
  const label = process.env.RAYON_NUM_THREADS === '1' ? 'single' : 'batch';
  console.log(`rust ${label} ${secs.toFixed(3)} s ${(mb / secs).toFixed(2)} MB/s`);
  console.log(`rust tokens ${n}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
