#!/usr/bin/env node
// Times the reference normalizer (Hugging Face tokenizers' Node binding)
// on the corpora of BenchmarkNormalize in tokenizer/internal/precompiled,
// built by the same rules, and prints MB/s per corpus. bench.sh runs both
// and prints them side by side.
//
// The reference time includes the JavaScript-to-Rust string copies of the
// binding, which are small next to the normalization itself.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const tokenizers = require('tokenizers');

const testdata = path.resolve(__dirname, '..', '..', '..', 'tokenizer', 'internal', 'precompiled', 'testdata');

function load(name) {
  return zlib.gunzipSync(fs.readFileSync(path.join(testdata, name))).toString('utf8');
}

const spec = JSON.parse(load('t5-small.normalizer.json.gz'));
const normalizer = tokenizers.precompiled(Array.from(Buffer.from(spec.precompiled_charsmap, 'base64')));

const random = load('golden.jsonl.gz').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  .filter(([kind]) => kind === 'random').map(([, input]) => input);
const english = 'The quick brown fox jumps over the lazy dog, then rests for a while. ';
const texts = {
  ascii: english.repeat(1000),
  cjk: '日本語のテキストと中文字符，한국어 문장。'.repeat(1000),
  random: random.join(' '),
};

for (const [name, s] of Object.entries(texts)) {
  const bytes = Buffer.byteLength(s, 'utf8');
  normalizer.normalizeString(s); // warm up
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 1_000_000_000n) {
    normalizer.normalizeString(s);
    runs++;
    elapsed = process.hrtime.bigint() - start;
  }
  const seconds = Number(elapsed) / 1e9;
  console.log(`${name}\t${(bytes * runs / seconds / 1e6).toFixed(2)}`);
}
