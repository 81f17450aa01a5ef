#!/usr/bin/env python3
"""Build small synthetic tokenizer.json files that exercise the components
the real tokenizers in shared/ do not use (WordLevel, Whitespace, Digits,
Punctuation, CharDelimiterSplit, FixedLength, Split with invert and the
merge behaviors, single_word/lstrip/rstrip added tokens, ByteLevel with a
prefix space, NFKC/NFD/NFKD, Lowercase, Strip, StripAccents, Nmt, regex
Replace, the ByteLevel normalizer, Unigram with byte fallback, Metaspace
with split, BertProcessing, the BPE, CTC and Strip decoders, Metaspace's
"first" scheme behind normalizers that move the start, UnicodeScripts,
Oniguruma's \\w and \\b, ...).

Vocabularies are cut from the permissive tokenizers in tokenizer/testdata
(GPT-2's first merges, T5's first pieces), so each file stays small.

    /usr/bin/python3 scripts/golden/tokenizer/synth.py
    cd scripts/golden/tokenizer && node golden.js \\
        --shared ../../../tokenizer/testdata/synthetic
"""
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TD = os.path.abspath(os.path.join(HERE, "..", "..", "..", "tokenizer", "testdata"))
OUT = os.path.join(TD, "synthetic")


def load(name):
    with gzip.open(os.path.join(TD, "tokenizers", name, "tokenizer.json.gz"), "rt", encoding="utf-8") as f:
        return json.load(f)


def gpt2_subset(n_merges):
    """The 256 byte characters and GPT-2's first n merges, renumbered."""
    g = load("gpt2")
    merges = g["model"]["merges"][:n_merges]
    vocab = {}
    for tok, _ in sorted(g["model"]["vocab"].items(), key=lambda kv: kv[1])[:256]:
        vocab[tok] = len(vocab)
    for m in merges:
        a, b = m.split(" ")
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    return vocab, merges


def t5_subset(n):
    t = load("t5-small")
    pieces = t["model"]["vocab"][:n]
    low = min(s for _, s in pieces) - 1.0
    pieces += [["<0x%02X>" % b, low] for b in range(256)]
    return pieces


def added(id_, content, special=False, single_word=False, lstrip=False, rstrip=False, normalized=None):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": (not special) if normalized is None else normalized, "special": special}


def tokenizer(model, normalizer=None, pre=None, post=None, decoder=None, added_tokens=()):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": list(added_tokens),
            "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": post, "decoder": decoder,
            "model": model}


def bpe(vocab, merges, **kw):
    m = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
         "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
         "vocab": vocab, "merges": merges}
    m.update(kw)
    return m


def words():
    """A WordLevel vocabulary: frequent lowercase words of the corpus."""
    import collections
    with gzip.open(os.path.join(TD, "conformance", "corpus.jsonl.gz"), "rt", encoding="utf-8") as f:
        lines = [json.loads(l) for l in f]
    c = collections.Counter(w.lower() for l in lines for w in l.split() if w.isalpha())
    vocab = {"<unk>": 0, "[CLS]": 1, "[SEP]": 2}
    for w, _ in c.most_common(3000):
        vocab.setdefault(w, len(vocab))
    for ch in "0123456789.,;:!?'\"()[]{}-_/\\@#$%^&*+=<>|~`":
        vocab.setdefault(ch, len(vocab))
    return vocab


def main():
    os.makedirs(OUT, exist_ok=True)
    vocab, merges = gpt2_subset(3000)
    n = len(vocab)
    wl = words()
    out = {}

    # Byte-level BPE with a prefix space, NFKC, and added tokens of every kind.
    out["synth-bytelevel-added"] = tokenizer(
        bpe(vocab, merges),
        normalizer={"type": "NFKC"},
        pre={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        post={"type": "BertProcessing", "sep": ["</s>", n + 1], "cls": ["<s>", n]},
        decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        added_tokens=[
            added(n, "<s>", special=True), added(n + 1, "</s>", special=True),
            added(n + 2, "<mask>", special=True, lstrip=True),
            added(n + 3, "[CLS]", special=True, rstrip=True),
            added(n + 4, "the", single_word=True),
            added(n + 5, "ing", normalized=False),
            added(n + 6, "ﬁ", normalized=True),
            added(n + 7, "<|endoftext|>", special=True, lstrip=True, rstrip=True),
            added(n + 8, "\t\t"),
        ])

    # WordLevel with Whitespace, BERT-ish normalization without BertNormalizer.
    out["synth-wordlevel"] = tokenizer(
        {"type": "WordLevel", "vocab": wl, "unk_token": "<unk>"},
        normalizer={"type": "Sequence", "normalizers": [
            {"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"},
            {"type": "Strip", "strip_left": True, "strip_right": True}]},
        pre={"type": "Whitespace"},
        post={"type": "TemplateProcessing",
              "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
              "pair": [], "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                                             "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
        decoder={"type": "CTC", "pad_token": "<unk>", "word_delimiter_token": "|", "cleanup": True},
        added_tokens=[added(0, "<unk>", special=True), added(1, "[CLS]", special=True),
                      added(2, "[SEP]", special=True)])

    # WordLevel behind a sequence of character-class splits.
    out["synth-pretokenizers"] = tokenizer(
        {"type": "WordLevel", "vocab": wl, "unk_token": "<unk>"},
        normalizer={"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "Lowercase"}]},
        pre={"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Digits", "individual_digits": True},
            {"type": "Punctuation", "behavior": "MergedWithNext"},
            {"type": "CharDelimiterSplit", "delimiter": "e"},
            {"type": "Split", "pattern": {"Regex": "[aeiou]+"}, "behavior": "MergedWithPrevious", "invert": False},
            {"type": "Split", "pattern": {"String": "th"}, "behavior": "Contiguous", "invert": True},
            {"type": "FixedLength", "length": 7},
        ]},
        decoder={"type": "Sequence", "decoders": [
            {"type": "Strip", "content": "x", "start": 2, "stop": 0},
            {"type": "Replace", "pattern": {"Regex": "[0-9]"}, "content": "#"}]},
        added_tokens=[added(0, "<unk>", special=True)])

    # Unigram with byte fallback behind Metaspace (split, prepend first).
    out["synth-unigram"] = tokenizer(
        {"type": "Unigram", "unk_id": 2, "vocab": t5_subset(6000), "byte_fallback": True},
        normalizer={"type": "Sequence", "normalizers": [
            {"type": "Nmt"}, {"type": "NFKC"},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        pre={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True},
        post={"type": "TemplateProcessing",
              "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
              "pair": [], "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
        decoder={"type": "Sequence", "decoders": [
            {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}]},
        added_tokens=[added(0, "<pad>", special=True), added(1, "</s>", special=True),
                      added(2, "<unk>", special=True), added(3, "▁a", single_word=True)])

    # Suffix-style BPE over the byte-level normalizer, and a BPE decoder.
    sv, sm = {}, []
    for tok, i in vocab.items():
        sv[tok] = len(sv)
        sv[tok + "</w>"] = len(sv)
    for m in merges:
        a, b = m.split(" ")
        sm.append(m)
        sm.append(a + " " + b + "</w>")
    out["synth-suffix-bpe"] = tokenizer(
        bpe(sv, sm, end_of_word_suffix="</w>", unk_token=None),
        normalizer={"type": "Sequence", "normalizers": [{"type": "ByteLevel"}]},
        pre={"type": "Split", "pattern": {"Regex": "Ġ"}, "behavior": "Removed", "invert": False},
        decoder={"type": "Sequence", "decoders": [{"type": "BPEDecoder", "suffix": "</w>"}, {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False}]})

    # Prefix-style BPE (continuing_subword_prefix "##") with unk fusing off,
    # behind BertPreTokenizer, decoded by the WordPiece decoder.
    pv, pm = {"[UNK]": 0}, []
    for tok in vocab:
        pv.setdefault(tok, len(pv))
        pv.setdefault("##" + tok, len(pv))
    for m in merges:
        a, b = m.split(" ")
        pm.append(a + " ##" + b)
        pm.append("##" + a + " ##" + b)
    out["synth-prefix-bpe"] = tokenizer(
        bpe(pv, pm, continuing_subword_prefix="##", unk_token="[UNK]", fuse_unk=False),
        normalizer={"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                    "strip_accents": False, "lowercase": False},
        pre={"type": "BertPreTokenizer"},
        decoder={"type": "WordPiece", "prefix": "##", "cleanup": False},
        added_tokens=[added(0, "[UNK]", special=True)])

    # Legacy Llama pipeline with the cl100k split in front and ignore_merges.
    out["synth-split-bytelevel"] = tokenizer(
        bpe(vocab, merges, ignore_merges=True),
        normalizer={"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "Ġ"}]},
        pre={"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,2}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        post={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})

    # Metaspace's "first" scheme prepends only when the text still starts at
    # offset 0 of the input: normalizers that delete leading characters
    # (Nmt, Strip, Replace with nothing) or replace several with something
    # move the start, and the first word goes without "▁".
    ms_first = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}
    out["synth-metaspace-first"] = tokenizer(
        {"type": "Unigram", "unk_id": 2, "vocab": t5_subset(6000), "byte_fallback": True},
        normalizer={"type": "Sequence", "normalizers": [
            {"type": "Nmt"}, {"type": "Strip", "strip_left": True, "strip_right": False},
            {"type": "Replace", "pattern": {"String": "And "}, "content": ""},
            {"type": "Replace", "pattern": {"Regex": "^Th"}, "content": "þ"},
            {"type": "Replace", "pattern": {"String": "I"}, "content": "i"}]},
        pre=ms_first,
        decoder={"type": "Sequence", "decoders": [{"type": "ByteFallback"}, ms_first]},
        added_tokens=[added(0, "<pad>", special=True), added(1, "</s>", special=True),
                      added(2, "<unk>", special=True)])

    # UnicodeScripts cuts where the script changes and drops what comes
    # before the first character with a script (leading spaces).
    ms = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    out["synth-unicode-scripts"] = tokenizer(
        {"type": "Unigram", "unk_id": 2, "vocab": t5_subset(6000), "byte_fallback": True},
        normalizer={"type": "NFKC"},
        pre={"type": "Sequence", "pretokenizers": [{"type": "UnicodeScripts"}, ms]},
        decoder={"type": "Sequence", "decoders": [{"type": "ByteFallback"}, ms]},
        added_tokens=[added(0, "<pad>", special=True), added(1, "</s>", special=True),
                      added(2, "<unk>", special=True)])

    # Oniguruma's \w (in split patterns) takes spacing marks, letter numbers
    # and circled letters, which regexp2's does not; \b follows it.
    out["synth-regex-word"] = tokenizer(
        bpe(vocab, merges),
        pre={"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": " ?\\w+\\b|[\\w-]+|\\W"}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})

    for name, tok in out.items():
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))
    print("synth: wrote %s" % ", ".join(sorted(out)))


if __name__ == "__main__":
    main()
