"""Reference counts for eval's tokenization-efficiency test.

The bundled example (testdata/example) holds the shared models' tokenizers
(the base's Mistral SentencePiece BPE, GPT-2's byte-level BPE) and their
heldout.txt. scripts/golden/forward/heldout_ids.js has encoded that text with
the official Hugging Face tokenizers library, in the chunks of the scoring
protocol and without special tokens, into eval/testdata/heldout/*.json.gz.
This script counts, from those ids and the tokenizer.json files alone, for
each tokenizer: tokens, byte-fallback tokens (<0xNN>), unk tokens, the bytes
every token stands for, and the tokens (and their bytes) whose byte string
the other vocabulary lacks; and the words of the text, as maximal runs of
characters outside Unicode White_Space (Go's unicode.IsSpace). It writes
eval/testdata/efficiency/example.json.

A token's bytes are derived here from its spelling, independently of the Go
code: GPT-2's byte alphabet decoded, "▁" read as a space, "<0xNN>" as one
byte; special tokens stand for no text.

    /usr/bin/python3 scripts/golden/eval/efficiency.py
"""

import gzip
import json
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
EXAMPLE = os.path.join(ROOT, "testdata", "example")
IDS = os.path.join(ROOT, "eval", "testdata", "heldout")
OUT = os.path.join(ROOT, "eval", "testdata", "efficiency")

WHITE_SPACE = "\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def byte_decoder():
    """GPT-2's bytes_to_unicode, inverted: alphabet character -> byte."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def surfaces(path):
    """Maps each id to (bytes or None for special tokens, is byte fallback)."""
    with open(path, encoding="utf-8") as f:
        j = json.load(f)
    byte_level = "ByteLevel" in json.dumps(j.get("pre_tokenizer")) + json.dumps(j.get("decoder"))
    fallback = j["model"].get("byte_fallback", False)
    dec = byte_decoder()
    out = {}
    for tok, i in j["model"]["vocab"].items():
        m = re.fullmatch(r"<0x([0-9A-F]{2})>", tok)
        if m and fallback:
            out[i] = (bytes([int(m.group(1), 16)]), True)
        elif byte_level:
            out[i] = (bytes(dec[c] for c in tok), False)
        else:
            out[i] = (tok.replace("\u2581", " ").encode("utf-8"), False)
    for a in j.get("added_tokens", []):
        if a["special"]:
            out[a["id"]] = (None, False)
    return out


def count(chunks, mine, theirs):
    other = {b for b, _ in theirs.values() if b is not None}
    r = dict(tokens=0, byte_fallback_tokens=0, unknown_tokens=0, not_shared_tokens=0, not_shared_bytes=0, surface_bytes=0)
    for ids in chunks:
        for i in ids:
            b, fallback = mine[i]
            r["tokens"] += 1
            if b is None:
                r["unknown_tokens"] += 1
                continue
            r["surface_bytes"] += len(b)
            r["byte_fallback_tokens"] += fallback
            if b not in other:
                r["not_shared_tokens"] += 1
                r["not_shared_bytes"] += len(b)
    return r


def main():
    with open(os.path.join(EXAMPLE, "heldout.txt"), "rb") as f:
        text = f.read()
    ids = {}
    for model in ("A-mistral", "B-gpt2"):
        with gzip.open(os.path.join(IDS, model + ".json.gz"), "rt") as f:
            g = json.load(f)
        assert sum(g["chunk_bytes"]) == len(text), "the ids are not those of testdata/example/heldout.txt"
        ids[model] = g["ids"]
    old = surfaces(os.path.join(EXAMPLE, "base", "tokenizer.json"))
    new = surfaces(os.path.join(EXAMPLE, "new-tokenizer", "tokenizer.json"))
    doc = dict(
        bytes=len(text),
        words=len(re.findall("[^" + WHITE_SPACE + "]+", text.decode("utf-8"))),
        old=count(ids["A-mistral"], old, new),
        new=count(ids["B-gpt2"], new, old),
    )
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "example.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
