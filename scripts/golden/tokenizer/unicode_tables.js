#!/usr/bin/env node
// Generates tokenizer/unicode_tables.go: the character classes the
// reference library takes from old Unicode tables (the unicode_categories
// crate, Unicode 9-era), measured by running its components on every code
// point of planes 0-3 and 14. Go's own tables follow a newer Unicode, which
// would disagree on characters assigned since.
//
//   cd scripts/golden/tokenizer && npm install && node unicode_tables.js
'use strict';
const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');
const { bertNormalizer, bertPreTokenizer, stripAccentsNormalizer } = tk;

const pre = bertPreTokenizer();
const clean = bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false });
const accents = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
const marks = stripAccentsNormalizer();

const sets = { punct: [], control: [], nonspacing: [], mark: [] };
const planes = [[0, 0x3ffff], [0xe0000, 0xeffff]];
for (const [lo, hi] of planes) {
  for (let cp = lo; cp <= hi; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    const splits = pre.preTokenizeString('a' + c + 'a').map((s) => s[0]);
    if (splits.length === 3 && splits[1] === c) sets.punct.push(cp);
    if (clean.normalizeString(c) === '' && cp !== 0 && cp !== 0xfffd) sets.control.push(cp);
    if (c.normalize('NFD') === c && accents.normalizeString(c) === '') sets.nonspacing.push(cp);
    if (marks.normalizeString(c) === '') sets.mark.push(cp);
  }
}

// Unicode normalization: the reference's tables are older than Go's, so
// characters assigned since are left alone there. frozen[form] lists the
// characters the reference leaves unchanged that a current Unicode (the
// JavaScript engine's) changes; Go keeps them as they are and normalizes
// around them. lower lists every character the reference's Lowercase
// changes, with the result.
const forms = { NFC: tk.nfcNormalizer(), NFD: tk.nfdNormalizer(), NFKC: tk.nfkcNormalizer(), NFKD: tk.nfkdNormalizer() };
const frozen = { NFC: [], NFD: [], NFKC: [], NFKD: [] };
const lower = [];
const lc = tk.lowercase();
for (let cp = 0; cp < 0xf0000; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const c = String.fromCodePoint(cp);
  for (const [name, n] of Object.entries(forms)) {
    if (n.normalizeString(c) === c && c.normalize(name) !== c) frozen[name].push(cp);
  }
  const l = lc.normalizeString(c);
  if (l !== c) lower.push([cp, l]);
}

// Scripts: the classes the UnicodeScripts pre-tokenizer cuts between,
// measured by counting the words it makes of two characters. 'a' is Latin
// and '1' Common; a character of neither, and not "any" (which never starts
// a word: the space, unassigned code points), makes two words with both.
const scriptsTok = tk.Tokenizer.fromString(JSON.stringify({
  version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: { type: 'UnicodeScripts' },
  post_processor: null, decoder: null, model: { type: 'WordLevel', vocab: { '<unk>': 0 }, unk_token: '<unk>' },
}));
const scriptsPre = scriptsTok.getPreTokenizer();
const words = (s) => scriptsPre.preTokenizeString(s).length;
const scriptRuns = []; // [lo, hi, class]; class 0 (any) is left out
const classReps = ['', 'a', '1']; // class 1 Latin, 2 Common, then as found
function scriptClass(c) {
  const latin = words('a' + c) === 1, common = words('1' + c) === 1;
  if (latin && common) return 0;
  if (latin) return 1;
  if (common) return 2;
  return -1; // another script: see scriptRuns below
}
for (const [lo, hi] of planes) {
  let run = null;
  for (let cp = lo; cp <= hi; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    let k = scriptClass(c);
    if (k === 0) { run = null; continue; }
    if (k < 0) {
      if (run && run[1] === cp - 1 && run[2] > 2 && words(String.fromCodePoint(run[1]) + c) === 1) k = run[2];
      else {
        k = classReps.findIndex((r, i) => i > 2 && words(r + c) === 1);
        if (k < 0) { k = classReps.length; classReps.push(c); }
      }
    }
    if (run && run[1] === cp - 1 && run[2] === k) run[1] = cp;
    else { run = [cp, cp, k]; scriptRuns.push(run); }
  }
}

function ranges(cps) {
  const out = [];
  for (const cp of cps) {
    const last = out[out.length - 1];
    if (last && last[1] === cp - 1) last[1] = cp;
    else out.push([cp, cp]);
  }
  return out;
}

function table(name, doc, cps) {
  const r16 = [], r32 = [];
  for (const [lo, hi] of ranges(cps)) {
    const line = `\t\t{0x${lo.toString(16)}, 0x${hi.toString(16)}, 1},`;
    (hi <= 0xffff ? r16 : r32).push(line);
  }
  let s = `// ${name} ${doc}\nvar ${name} = &unicode.RangeTable{\n`;
  s += r16.length ? `\tR16: []unicode.Range16{\n${r16.join('\n')}\n\t},\n` : '\tR16: []unicode.Range16{},\n';
  if (r32.length) s += `\tR32: []unicode.Range32{\n${r32.join('\n')}\n\t},\n`;
  return s + '}\n';
}

let src = '// Code generated by scripts/golden/tokenizer/unicode_tables.js; DO NOT EDIT.\n\n';
src += 'package tokenizer\n\nimport "unicode"\n\n';
src += table('refPunct', 'is what BertPreTokenizer and Punctuation isolate.', sets.punct) + '\n';
src += table('refControl', "is what BertNormalizer's clean_text removes (besides NUL and U+FFFD).", sets.control) + '\n';
src += table('refNonspacing', "is what BertNormalizer's strip_accents removes after NFD.", sets.nonspacing) + '\n';
src += table('refMark', 'is what the StripAccents normalizer removes.', sets.mark) + '\n';
for (const name of Object.keys(frozen)) {
  src += table('frozen' + name, `is what the reference's ${name} leaves alone though current Unicode changes it.`, frozen[name]) + '\n';
}
src += '// refLower maps every character the reference\'s Lowercase changes, sorted.\nvar refLower = []struct {\n\tr  rune\n\tto string\n}{\n';
for (const [cp, l] of lower) src += `\t{0x${cp.toString(16)}, ${JSON.stringify(l)}},\n`;
src += '}\n';
src += '\n// refScripts maps runs of code points to the script classes the reference\'s\n// UnicodeScripts pre-tokenizer tells apart (1 Latin, 2 Common, the others\n// numbered as found); code points in no run are of no script ("any").\nvar refScripts = []scriptRun{\n';
for (const [lo, hi, k] of scriptRuns) src += `\t{0x${lo.toString(16)}, 0x${hi.toString(16)}, ${k}},\n`;
src += '}\n';
const out = path.resolve(__dirname, '..', '..', '..', 'tokenizer', 'unicode_tables.go');
fs.writeFileSync(out, src);
console.error(`unicode_tables: ${Object.entries(sets).map(([k, v]) => k + ' ' + v.length).join(', ')}, scripts ${classReps.length - 1} in ${scriptRuns.length} runs -> ${out}`);
