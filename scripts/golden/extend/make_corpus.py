#!/usr/bin/env python3
"""Build the corpus and test lines of the vocabulary-extension goldens.

    /usr/bin/python3 scripts/golden/extend/make_corpus.py

Writes, deterministically (gzip with mtime 0):

  extend/testdata/corpus.txt.gz   the text new tokens are learned on
  extend/testdata/lines.jsonl.gz  the lines the goldens encode, one JSON
                                  string per line

Sources, all already in this repository: the King James Bible lines and
the Go and Python standard-library chunks of the tokenizer conformance
corpus (tokenizer/testdata/conformance/corpus.jsonl.gz, see its README for
licences), the edge-case generators and hand-written lines of
scripts/golden/tokenizer/make_corpus.py, and sentences.py beside this
script, written for it. Only the standard library is needed.
"""
import gzip
import json
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the imported script
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "golden", "tokenizer"))
import make_corpus as conformance  # noqa: E402
from sentences import SCRIPTS  # noqa: E402

CONFORMANCE = os.path.join(ROOT, "tokenizer", "testdata", "conformance", "corpus.jsonl.gz")
OUT = os.path.join(ROOT, "extend", "testdata")

# The conformance corpus starts with 500 King James Bible lines, then 450
# Go and 350 Python chunks (see build() in the conformance script).
KJV, GO, PY = slice(0, 500), slice(500, 950), slice(950, 1300)


def paragraph(rng, sentences):
    n = rng.randint(2, 5)
    sep = "" if sentences is SCRIPTS["chinese"] or sentences is SCRIPTS["japanese"] else " "
    return sep.join(rng.choice(sentences) for _ in range(n))


def write_gz(path, data):
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as z:
            z.write(data)


def main():
    rng = random.Random(20250114)
    with gzip.open(CONFORMANCE, "rt", encoding="utf-8") as f:
        conf = [json.loads(l) for l in f]
    kjv, go, py = conf[KJV], conf[GO], conf[PY]

    units = []
    units += kjv
    units += go[:250] + py[:200]
    for sentences in SCRIPTS.values():
        units += [paragraph(rng, sentences) for _ in range(45)]
    units += conformance.MULTILINGUAL + conformance.CODE_SNIPPETS
    rng.shuffle(units)
    text = "".join(u + rng.choice(["\n", "\n", "\n\n"]) for u in units)
    write_gz(os.path.join(OUT, "corpus.txt.gz"), text.encode("utf-8"))

    # Test lines: text like the corpus (the new tokens occur), text
    # held out from it (new combinations, code never seen), and the edge
    # cases of the conformance corpus (most hold no new token).
    words = sorted(set(w for l in kjv for w in l.split()))
    lines = []
    lines += rng.sample(units, 100)
    for sentences in SCRIPTS.values():
        lines += [paragraph(rng, sentences) for _ in range(6)]
    lines += go[400:415] + py[320:335]
    lines += [rng.choice(units) + rng.choice(conformance.WS) + t
              for t in conformance.special_lines(rng, 20)]
    lines += conformance.whitespace_lines(rng, words, 20)
    lines += conformance.soup(rng, 20)
    lines += conformance.special_lines(rng, 20)
    lines += conformance.numbers_and_dates(rng, 20)
    lines += conformance.MULTILINGUAL
    lines += [u.upper() for u in rng.sample(units, 6)]
    data = "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines)
    write_gz(os.path.join(OUT, "lines.jsonl.gz"), data.encode("utf-8"))
    print("make_corpus: corpus %d bytes, %d lines" % (len(text.encode("utf-8")), len(lines)), file=sys.stderr)


if __name__ == "__main__":
    main()
