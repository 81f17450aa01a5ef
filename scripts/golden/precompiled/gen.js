#!/usr/bin/env node
// Generates the golden data for tokenizer/internal/precompiled.
//
// It reads the "Precompiled" normalizer of a Hugging Face tokenizer.json
// (t5-small by default), writes that normalizer object as the test fixture,
// runs the official tokenizers Node binding's normalizer over a few thousand
// strings, and writes [case, input, output] JSON lines, gzipped.
//
// Usage (from this directory):
//
//	npm install
//	node gen.js [path/to/tokenizer.json]
//
// Inputs are stored as the UTF-8 the Rust code received: JavaScript strings
// with lone surrogates reach Rust with each one replaced by U+FFFD, so the
// script applies the same conversion before recording them.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const tokenizers = require('tokenizers');

const repo = path.resolve(__dirname, '..', '..', '..');
const source = process.argv[2] ||
  path.resolve(repo, '..', 'shared', 'tokenizers', 't5-small', 'tokenizer.json');
const outDir = path.join(repo, 'tokenizer', 'internal', 'precompiled', 'testdata');

function main() {
  const spec = JSON.parse(fs.readFileSync(source, 'utf8')).normalizer;
  if (!spec || spec.type !== 'Precompiled') {
    throw new Error(`${source}: normalizer is not Precompiled`);
  }
  const fixture = JSON.stringify({ type: spec.type, precompiled_charsmap: spec.precompiled_charsmap }) + '\n';
  writeGzip(path.join(outDir, 't5-small.normalizer.json.gz'), fixture);

  const normalizer = tokenizers.precompiled(Array.from(Buffer.from(spec.precompiled_charsmap, 'base64')));
  const lines = [];
  for (const [name, input] of cases()) {
    const s = Buffer.from(input, 'utf8').toString('utf8');
    lines.push(JSON.stringify([name, s, normalizer.normalizeString(s)]));
  }
  writeGzip(path.join(outDir, 'golden.jsonl.gz'), lines.join('\n') + '\n');
  console.log(`${lines.length} cases from ${source}`);
}

function writeGzip(file, text) {
  fs.writeFileSync(file, zlib.gzipSync(Buffer.from(text, 'utf8'), { level: 9 }));
}

// cases yields [name, input] pairs.
function* cases() {
  for (const s of handwritten) yield ['handwritten', s];
  // Every code point on its own: newlines break grapheme clusters on both
  // sides (UAX #29 GB4/GB5), so each one takes the per-grapheme path alone.
  for (const [lo, hi] of isolatedRanges) {
    for (const chunk of chunks(codePoints(lo, hi), 32)) yield ['isolated', chunk.join('\n')];
  }
  // Every code point after a character the charsmap rewrites ("²" -> "2"),
  // one pair per line: a pair shorter than 6 bytes that forms one cluster is
  // replaced whole, so this pins down which code points extend a cluster
  // (Extend, SpacingMark, ZWJ) in the Unicode version the reference uses.
  for (const chunk of chunks(codePoints(0x0000, 0xffff).filter((c) => c !== '\n' && c !== '\r'), 64)) {
    yield ['after-mapped', chunk.map((c) => '\u00b2' + c).join('\n')];
  }
  // Consecutive code points run together, so marks, joiners and Hangul
  // jamo cluster with their neighbours.
  for (const [lo, hi] of runRanges) {
    for (const chunk of chunks(codePoints(lo, hi), 12)) yield ['run', chunk.join('')];
  }
  const rand = mulberry32(20240611);
  for (let i = 0; i < 3000; i++) yield ['random', randomString(rand)];
  for (const s of longStrings(rand)) yield ['long', s];
}

const handwritten = [
  '', 'a', 'hello world', 'Hello, World!', '\t\n\r', '\r\n', 'a\r\nb', '\n\r',
  'ＡＢＣ', 'Ａ\u0301', 'Ａ\u0301x', 'ﬁ', 'ﬁ\u0301', 'ﬀﬃﬄ', '½', '½\u0301', '²\u0301',
  '™', '™\x1eg', '℃', '①②③', '㎏㎞', 'Ⅻ', 'ｶﾞ', 'ｶﾞｷﾞ', 'A\uff9e',
  '\u00a0', 'a\u00a0b', '\u00a0\u0301', '\u2000\u2001\u2002\u2003\u2009\u200a', '\u3000', '\u202f\u205f',
  '\u200b\u200c\u200d\ufeff', '\u00ad', 'a\u00adb', '\u2028\u2029', '\u0085',
  '\x00', '\x00a', 'a\x00\u0301', '\x01\x02\x1f\x7f', '\x80\x9f',
  'e\u0301', 'e\u0301\u0301', 'e\u0301\u0301\u0301', 'a\u0300\u0301\u0302\u0303\u0304',
  '\u0301', '\u0301a', ' \u0301', '\t\u0301',
  '中文字符', '日本語のテキスト', '한국어', '\u1100\u1161\u11a8', '\u1100\u1161',
  'العربية', 'مَرْحَبًا', '\ufdfa', '\ufef5', 'हिन्दी', 'क्ष', 'क्\u200dष', 'ไทย', 'ภาษาไทย',
  '👨\u200d👩\u200d👧\u200d👦', '❤\ufe0f', '❤\ufe0e', '©\ufe0f', '™\ufe0f', '#\ufe0f\u20e3', '1\u20e3',
  '👍🏽', '🇯🇵🇺🇸', '🇯', '🏴\udb40\udc67\udb40\udc62\udb40\udc73\udb40\udc63\udb40\udc74\udb40\udc7f',
  '\ud800', '\udc00', 'a\ud800b', '\ud83d', 'x\udfffy', '\ufffd',
  '\u{1d400}\u{1d7ce}', '\u{2f800}', '\ufb01\ufb02', '\u2126\u212b', '\u1e9b\u0323',
];

const isolatedRanges = [
  [0x0001, 0xd7ff], [0xe000, 0xfffd], [0x10000, 0x1ffff],
  [0x20000, 0x2007f], [0x2f800, 0x2fa1f], [0x30000, 0x3007f],
  [0xe0000, 0xe01ef], [0xf0000, 0xf007f], [0x10ff80, 0x10ffff],
];

const runRanges = [
  [0x0000, 0x07ff], [0x0900, 0x0dff], [0x1100, 0x11ff], [0x1ab0, 0x1dff],
  [0x2000, 0x2bff], [0x3000, 0x33ff], [0xa960, 0xa97f], [0xd7b0, 0xd7ff],
  [0xf900, 0xfffd], [0x1f1e6, 0x1f1ff], [0x1f300, 0x1faff], [0xe0000, 0xe007f],
];

function codePoints(lo, hi) {
  const out = [];
  for (let cp = lo; cp <= hi; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    out.push(String.fromCodePoint(cp));
  }
  return out;
}

function* chunks(list, n) {
  for (let i = 0; i < list.length; i += n) yield list.slice(i, i + n);
}

// Pieces the random strings are built from, grouped so that every kind of
// text gets drawn often: characters the charsmap rewrites, marks that
// cluster with them, separators that split clusters, and scripts with
// long clusters.
const pools = {
  ascii: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?\'"()-_/\\@#$%^&*+=<>[]{}|~`'.split(''),
  words: ['the', 'quick', 'brown', 'fox', 'naïve', 'café', 'Straße', 'İstanbul', 'ǅemal', 'ﬁnal', 'Ǆ'],
  fullwidth: codePoints(0xff01, 0xffee),
  compat: '½¼¾²³¹ªº™℠℃℉№ℓ①②⑳⑴⒜ⓐ㈱㋀㍻㎏㎞㏄ⅠⅫⅰⅻ¨¯´¸ˆ˜ſﬅﬆ'.split('').concat(codePoints(0xfb00, 0xfb06)),
  ligatures: ['ﬁ', 'ﬂ', 'ﬀ', 'ﬃ', 'ﬄ', 'Ĳ', 'ĳ', 'Œ', 'œ', 'Æ', 'ǆ', 'ﬓ', '\ufdf2', '\ufdfa'],
  marks: codePoints(0x0300, 0x036f).concat(codePoints(0x1ab0, 0x1abe), codePoints(0x20d0, 0x20f0), ['\u3099', '\u309a', '\uff9e', '\uff9f']),
  spaces: ['\u00a0', '\u1680', '\u2000', '\u2002', '\u2003', '\u2007', '\u2009', '\u200a', '\u202f', '\u205f', '\u3000', ' ', '  ', '\t', '\n', '\r\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029'],
  zero: ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u034f', '\u180e', '\u061c', '\u200e', '\u200f'],
  controls: codePoints(0x00, 0x1f).concat(codePoints(0x7f, 0x9f)),
  cjk: '中文日本語漢字한국어ひらがなカタカナ\u3400\u4e00\u9fff\uf900\uf9ff\ufa30'.split('').concat(['\u{20000}', '\u{2a6d6}', '\u{2f800}', '\u{2fa1d}']),
  hangulJamo: codePoints(0x1100, 0x1112).concat(codePoints(0x1161, 0x1175), codePoints(0x11a8, 0x11c2), codePoints(0x3131, 0x318e)),
  arabic: 'العربيةمرحبا'.split('').concat(codePoints(0x064b, 0x0652), ['\ufdfa', '\ufefb', '\ufe8d', '\u0670', '\u06dd']),
  devanagari: 'कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह'.split('').concat(['\u094d', '\u093e', '\u093f', '\u0940', '\u0902', '\u0903', '\u093c', '\u0958', '\u0929']),
  thai: 'กขคงจฉชซญฎฏ'.split('').concat(['\u0e31', '\u0e33', '\u0e34', '\u0e47', '\u0e48', '\u0e40', '\u0e41']),
  emoji: ['😀', '👍', '👨', '👩', '👧', '❤', '✌', '☝', '©', '®', '™', '#', '*', '1', '🏳', '🏴', '🇺', '🇸', '🇯', '🇵', '🤷'],
  emojiMods: ['\u200d', '\ufe0f', '\ufe0e', '\u20e3', '\u{1f3fb}', '\u{1f3fd}', '\u{1f3ff}', '\u{e0067}', '\u{e007f}', '\u2640', '\u2642'],
  variation: codePoints(0xfe00, 0xfe0f).concat(['\u{e0100}', '\u{e01ef}']),
  surrogates: ['\ud800', '\udbff', '\udc00', '\udfff'],
  math: codePoints(0x1d400, 0x1d4ff).concat(codePoints(0x1d7ce, 0x1d7ff)),
  private: ['\ue000', '\uf8ff', '\u{f0000}', '\u{10fffd}'],
};
const poolNames = Object.keys(pools);

function randomString(rand) {
  const n = 1 + Math.floor(rand() * 12);
  let s = '';
  for (let i = 0; i < n; i++) {
    const pool = pools[poolNames[Math.floor(rand() * poolNames.length)]];
    s += pool[Math.floor(rand() * pool.length)];
    // Often follow a piece by marks or emoji modifiers, so that short
    // clusters starting with a rewritten character are common.
    if (rand() < 0.3) s += pick(rand, pools.marks);
    if (rand() < 0.1) s += pick(rand, pools.emojiMods);
  }
  return s;
}

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

function* longStrings(rand) {
  yield 'a' + pools.marks.slice(0, 100).join('');
  yield 'Ａ' + '\u0301'.repeat(200);
  yield '👨' + '\u200d👩'.repeat(30);
  yield '🇺🇸'.repeat(50);
  yield 'क्'.repeat(40) + 'ष';
  yield '\u1100'.repeat(30) + '\u1161'.repeat(30) + '\u11a8'.repeat(30);
  for (let i = 0; i < 20; i++) {
    let s = '';
    while (s.length < 2000) s += randomString(rand);
    yield s;
  }
}

// mulberry32 is a small seeded PRNG, so the golden data is reproducible.
function mulberry32(seed) {
  return function () {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

main();
