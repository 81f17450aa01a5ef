#!/usr/bin/env python3
"""Build the tokenizer conformance corpus, deterministically.

Writes one JSON string per line (so that lines may hold newlines, tabs and
carriage returns) to the output path, gzip-compressed when it ends in .gz.

    /usr/bin/python3 scripts/golden/tokenizer/make_corpus.py \
        tokenizer/testdata/conformance/corpus.jsonl.gz

    # a large corpus for benchmarks (not committed):
    /usr/bin/python3 scripts/golden/tokenizer/make_corpus.py --bytes 12000000 /tmp/bench.txt

Sources (see tokenizer/testdata/conformance/README.md for licences): the
King James Bible part of shared/models/heldout.txt, Go standard library
sources (/usr/local/go/src), Python standard library sources
(/usr/lib/python3.*), and the hand-written lines below.
"""
import argparse
import glob
import gzip
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
HELDOUT = os.path.join(ROOT, "..", "shared", "models", "heldout.txt")
KJV_LINES = 640  # heldout.txt lines 1..640 are King James Bible text (public domain)

MULTILINGUAL = [
    "数学是研究数量、结构、变化以及空间等概念的一门学科。",
    "我们今天去北京大学参观了图书馆，然后吃了烤鸭。",
    "東京都は日本の首都であり、人口は約1400万人です。",
    "ひらがなとカタカナと漢字を混ぜて書きます。ラーメンが好きです！",
    "한국어는 한글로 표기하며, 서울은 대한민국의 수도입니다.",
    "안녕하세요? 저는 학생입니다. 만나서 반갑습니다.",
    "اللغة العربية هي لغة رسمية في أكثر من عشرين دولة.",
    "مرحبا بالعالم! كيف حالك اليوم؟ ١٢٣٤٥٦٧٨٩٠",
    "שלום עולם, מה שלומך היום?",
    "हिन्दी भारत की एक प्रमुख भाषा है और देवनागरी लिपि में लिखी जाती है।",
    "नमस्ते दुनिया! क्या हाल है? १२३४५",
    "संस्कृतम् जगतः एकतमा अतिप्राचीना समृद्धा शास्त्रीया च भाषासु अन्यतमा।",
    "বাংলা ভাষা দক্ষিণ এশিয়ার একটি ইন্দো-আর্য ভাষা।",
    "தமிழ் ஒரு திராவிட மொழி ஆகும்.",
    "ภาษาไทยเป็นภาษาราชการของประเทศไทย",
    "Русский язык — один из восточнославянских языков.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Ελληνικά: Η γλώσσα είναι όμορφη. Σίσυφος ΣΊΣΥΦΟΣ",
    "Tiếng Việt có dấu: Trăm năm trong cõi người ta, chữ tài chữ mệnh khéo là ghét nhau.",
    "Türkçe: İstanbul'da ılık bir gün; IĞDIR ve ığdır.",
    "Deutsch: Straße, Maß, größer, ÄÖÜ äöü ẞ.",
    "Français : « Où est la bibliothèque ? » — dit-elle, à l'été.",
    "Español: ¿Dónde está el niño? ¡Qué año tan extraño!",
    "Português: ação, coração, pão, órgão.",
    "Polski: Zażółć gęślą jaźń.",
    "Čeština: Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Íslenska: Þetta er ðæmi um íslensku.",
    "ქართული ენა — Georgian script",
    "Հայերեն լեզու — Armenian",
    "አማርኛ ቋንቋ — Amharic",
    "ᚠᛇᚻ᛫ᛒᛦᚦ᛫ᚠᚱᚩᚠᚢᚱ᛫ᚠᛁᚱᚪ᛫ᚷᛖᚻᚹᛦᛚᚳᚢᛗ",
    "Emoji: 😀 😃 😄 😁 😆 😅 🤣 😂 🙂 🙃 😉 😊 😇 🥰 😍 🤩",
    "Family ZWJ: 👨‍👩‍👧‍👦 👩‍❤️‍💋‍👨 🏳️‍🌈 🏴‍☠️ 👁️‍🗨️",
    "Skin tones: 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿 🧑🏽‍💻 👩🏿‍🚀",
    "Flags: 🇫🇷 🇯🇵 🇺🇸 🇧🇷 🇮🇳 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "Keycaps: 1️⃣ 2️⃣ #️⃣ *️⃣ and variation selectors ☺︎ ☺️",
    "🤖 robots 🤖🤖🤖 rule; 🫠🫡🫥 new emoji",
    "Math: ∀x∈ℝ, ∃y: x²+y²=1 ⇒ √(x²) ≤ 1; ∑ᵢ aᵢ ≈ ∫ f(x) dx",
    "Currency: $1,234.56 €99,99 £5 ¥1000 ₹2,50,000 ₿0.0001",
    "Arrows and boxes: ← ↑ → ↓ ┌─┬─┐ │ ├─┼─┤ └─┴─┘",
    "Full width: ＡＢＣ ａｂｃ １２３ ！？",
    "Ligatures: ﬁ ﬂ ﬀ ﬃ ﬄ and ㍿ ㌔ ℃ ℉ Ⅻ ½ ¼ ①②③",
    "Combining: e\u0301 a\u0300 n\u0303 o\u0308 Z\u0335\u0321\u031b\u0327a\u0336\u0322lgo",
    "Zero width: a\u200bb\u200cc\u200dd\ufeffe\u2060f",
    "Bidi: \u202eabc\u202c \u200fright-to-left\u200e mark",
    "Odd spaces: a\u00a0b\u2002c\u2003d\u2009e\u3000f\u202fg\u205fh\u1680i",
    "Separators: line\u2028sep para\u2029sep next\u0085line",
    "Controls: \x01\x02\x07\x1b[31mred\x1b[0m\x7f\x80\x9f end",
    "Replacement: \ufffd\ufffd broken \ufffd bytes",
    "Private use: \ue000\uf8ff \U000f0000 \U0010fffd",
    "Noncharacters: \ufdd0 \ufffe \uffff \U0001fffe",
    "Edge code points: \ud7ff \ue000 \U00010000 \U0010ffff",
    "Unassigned: \u0378 \u0e5c \U0001fbff \U0002fffd",
    "NUL inside: a\x00b\x00\x00c",
    "Long s: 'ſ, 'ſt, don'ſ; Kelvin \u212a; dotless ı; İi",
    "CONTRACTIONS: DON'T WON'T I'M YOU'LL HE'D WE'VE THEY'RE IT'S",
    "contractions: don't won't i'm you'll he'd we've they're it's",
    "Mixed ’curly’ quotes: don’t it’s “hello” ‘world’",
    "Ethiopic numbers ፩፪፫ and Roman ⅠⅡⅢⅣ and superscripts ¹²³",
    "Arabic-Indic digits ٠١٢٣٤٥٦٧٨٩ and Devanagari ०१२३४५६७८९",
    "漢字とひらがなと한국어와English mixed混合テキスト123",
    "URL: https://example.com/path?q=tokenizers&lang=en-US#section-2",
    "Email: first.last+tag@sub.example.co.uk",
    "Hashtags #NLP #機械学習 @user_name mentions",
]

CODE_SNIPPETS = [
    "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}",
    "impl<'a> Iterator for Tokens<'a> {\n    type Item = &'a str;\n    fn next(&mut self) -> Option<Self::Item> { None }\n}",
    "const add = (a, b) => a + b;\nconsole.log(`sum: ${add(1, 2)}`);",
    "async function fetchData(url) {\n  const res = await fetch(url);\n  if (!res.ok) throw new Error(res.statusText);\n  return res.json();\n}",
    "#include <stdio.h>\n\nint main(int argc, char **argv) {\n\tprintf(\"%d\\n\", argc);\n\treturn 0;\n}",
    "template <typename T>\nstd::vector<T> filter(const std::vector<T>& xs) {\n    return xs;\n}",
    "public static void main(String[] args) {\n        System.out.println(\"Hello, World!\");\n    }",
    "SELECT u.id, COUNT(*) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 100 GROUP BY u.id;",
    "<!DOCTYPE html>\n<html lang=\"en\">\n  <head><meta charset=\"utf-8\"><title>Test</title></head>\n  <body><p class=\"x\">Hi &amp; bye</p></body>\n</html>",
    "{\"name\": \"transplant\", \"version\": \"0.1.0\", \"tags\": [\"nlp\", \"tokenizer\"], \"nested\": {\"a\": null, \"b\": true}}",
    "server:\n  host: 0.0.0.0\n  port: 8080\n  tls:\n    enabled: false\n",
    "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do\n  wc -l \"$f\"\ndone | sort -n",
    "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
    "    return x ** 2  # 数学",
    "\\begin{equation}\n  E = mc^2 \\quad \\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}\n\\end{equation}",
    "diff --git a/main.go b/main.go\n@@ -1,3 +1,4 @@\n-package foo\n+package main\n+\n import \"fmt\"",
    "x := map[string][]int{\"a\": {1, 2}, \"b\": nil}\nif _, ok := x[\"c\"]; !ok {\n\tpanic(\"missing\")\n}",
    "(defun fact (n) (if (<= n 1) 1 (* n (fact (- n 1)))))",
    "main :: IO ()\nmain = mapM_ print [x | x <- [1..100], x `mod` 7 == 0]",
    "    \t  mixed indentation\t\twith tabs  \t",
]

SPECIAL_STRINGS = [
    "<s>", "</s>", "<unk>", "<pad>", "<mask>", "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]",
    "<|endoftext|>", "<|startoftext|>", "<|begin_of_text|>", "<|end_of_text|>",
    "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|im_start|>", "<|im_end|>",
    "<think>", "</think>", "<tool_call>", "</tool_call>", "<bos>", "<eos>",
    "<start_of_turn>", "<end_of_turn>", "<extra_id_0>", "<extra_id_99>", ">>TITLE<<", ">>ABSTRACT<<",
    "<|reserved_special_token_5|>", "<|endoftext", "endoftext|>", "<s", "s>", "[CLS", "<0x0A>", "▁", "Ġ",
    "<image_soft_token>", "<start_of_image>", "<br>", "<div>", "</div>",
]

SPECIAL_TEMPLATES = [
    "{t}", "{t}{t}", "Hello{t}world", "Hello {t} world", "Hello  {t}  world", "{t}Hello",
    "{t} Hello", "Hello{t}", "Hello {t}", "a{t}b{t}c", "\n{t}\n", " {t}", "{t} ", "  {t}  ",
    "x{u}y{t}z", "The token {t} and {u} appear.", "{t}\t{u}", "{t}{u}{t}", "word{t}word",
    "{t}user\nWhat is 2+2?{u}\n", "Ä{t}ö", "数学{t}数学",
]


def kjv_lines():
    try:
        with open(HELDOUT, encoding="utf-8") as f:
            lines = f.read().split("\n")[:KJV_LINES]
    except OSError:
        sys.exit("make_corpus: cannot read %s (shared/models beside the repo)" % HELDOUT)
    return [l for l in lines if l.strip()]


def source_files(pattern, limit):
    files = sorted(glob.glob(pattern, recursive=True))
    return files[:limit] if limit else files


def code_chunks(rng, files, count, max_lines=8):
    out = []
    texts = []
    for p in files:
        try:
            with open(p, encoding="utf-8") as f:
                texts.append(f.read().split("\n"))
        except (OSError, UnicodeDecodeError):
            continue
    texts = [t for t in texts if len(t) > 10]
    while len(out) < count and texts:
        t = rng.choice(texts)
        i = rng.randrange(len(t))
        n = rng.randint(1, max_lines)
        chunk = "\n".join(t[i:i + n])
        if chunk.strip():
            out.append(chunk)
    return out


def numbers_and_dates(rng, count):
    out = []
    months = ["January", "Feb.", "März", "juillet", "12月", "Mayo"]
    for _ in range(count):
        k = rng.randrange(12)
        if k == 0:
            out.append(str(rng.randrange(10 ** rng.randint(1, 20))))
        elif k == 1:
            out.append("{:,}".format(rng.randrange(10 ** rng.randint(3, 15))))
        elif k == 2:
            out.append("%d.%0*d" % (rng.randrange(100000), rng.randint(1, 6), rng.randrange(1000)))
        elif k == 3:
            out.append("%04d-%02d-%02d" % (rng.randint(1000, 2999), rng.randint(1, 12), rng.randint(1, 28)))
        elif k == 4:
            out.append("%02d/%02d/%04d %02d:%02d:%02d" % (rng.randint(1, 12), rng.randint(1, 28),
                                                         rng.randint(1900, 2100), rng.randrange(24),
                                                         rng.randrange(60), rng.randrange(60)))
        elif k == 5:
            out.append("%d %s %d" % (rng.randint(1, 31), rng.choice(months), rng.randint(1, 3000)))
        elif k == 6:
            out.append("+%d (%03d) %03d-%04d" % (rng.randint(1, 99), rng.randrange(1000),
                                                rng.randrange(1000), rng.randrange(10000)))
        elif k == 7:
            out.append("v%d.%d.%d-rc%d" % (rng.randrange(20), rng.randrange(50), rng.randrange(100), rng.randrange(9)))
        elif k == 8:
            out.append("0x%X 0b%s %e" % (rng.randrange(1 << 40), bin(rng.randrange(1 << 16))[2:],
                                          rng.random() * 10 ** rng.randint(-30, 30)))
        elif k == 9:
            out.append("The %d items cost $%d.%02d (%d%% off) on %04d-%02d-%02d." % (
                rng.randrange(1000), rng.randrange(10000), rng.randrange(100), rng.randrange(100),
                rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)))
        elif k == 10:
            out.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40))))
        else:
            out.append("%d,%d;%d:%d|%d" % tuple(rng.randrange(10 ** rng.randint(1, 5)) for _ in range(5)))
    return out


WS = [" ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n", "\n ", " \t ", "\u00a0", "\u3000", "\r"]


def whitespace_lines(rng, words, count):
    out = []
    for _ in range(count):
        n = rng.randint(1, 6)
        parts = []
        for _ in range(n):
            parts.append(rng.choice(WS) * rng.randint(1, 3))
            parts.append(rng.choice(words))
        parts.append(rng.choice(WS) * rng.randint(0, 3))
        out.append("".join(parts))
    out += ["", " ", "  ", "\t", "\n", "\n\n\n", "\r\n", "     x", "x     ", " \t\n\r ", "a  b   c    d     e",
            " " * 33, " " * 100, "\t" * 17, "\n" * 40, " leading", "trailing ", "  both  "]
    return out


def special_lines(rng, count):
    out = []
    for _ in range(count):
        tmpl = rng.choice(SPECIAL_TEMPLATES)
        out.append(tmpl.format(t=rng.choice(SPECIAL_STRINGS), u=rng.choice(SPECIAL_STRINGS)))
    return out


def long_words(rng, count):
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for i in range(count):
        n = rng.choice([120, 300, 700, 1500, 3000])
        k = i % 8
        if k == 0:
            out.append(rng.choice(alphabet) * n)
        elif k == 1:
            out.append("".join(rng.choice(alphabet) for _ in range(n)))
        elif k == 2:
            out.append("".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                               for _ in range(n)) + "==")
        elif k == 3:
            out.append("".join(rng.choice("0123456789") for _ in range(n)))
        elif k == 4:
            out.append("".join(rng.choice("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年") for _ in range(n // 3)))
        elif k == 5:
            out.append("".join(rng.choice("😀🤖👍🏽🇫🇷👨‍👩‍👧") for _ in range(n // 10)))
        elif k == 6:
            out.append("Pneumonoultramicroscopicsilicovolcanoconiosis" * (n // 45 + 1))
        else:
            out.append("https://example.com/" + "/".join("seg%d" % rng.randrange(1000) for _ in range(n // 8)))
    return out


# Code point ranges for random character soup: scripts, symbols, marks, oddities.
SOUP_RANGES = [
    (0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF),
    (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x1E00, 0x1EFF),
    (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x22FF), (0x2500, 0x257F),
    (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xF900, 0xFAFF), (0xFB00, 0xFB4F),
    (0xFE00, 0xFE0F), (0xFF00, 0xFFEF), (0x1F300, 0x1F64F), (0x1F900, 0x1F9FF), (0x1FA70, 0x1FAFF),
    (0x20000, 0x2000F), (0xE0020, 0xE007F), (0x1D400, 0x1D4FF), (0x10000, 0x1007F),
]


def soup(rng, count):
    out = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 40)):
            lo, hi = rng.choice(SOUP_RANGES)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF:
                continue
            chars.append(chr(c))
            if rng.random() < 0.2:
                chars.append(rng.choice(WS))
        out.append("".join(chars))
    return out


def mixes(rng, pools, count):
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(2, 5)):
            pool = rng.choice(pools)
            s = rng.choice(pool)
            if len(s) > 400:
                s = s[:rng.randint(1, 400)]
            parts.append(s)
            parts.append(rng.choice(WS + ["", "", ""]))
        out.append("".join(parts))
    return out


def build(rng):
    kjv = kjv_lines()
    go = code_chunks(rng, source_files("/usr/local/go/src/**/*.go", 0), 450)
    py = code_chunks(rng, source_files(glob.glob("/usr/lib/python3.*")[0] + "/*.py", 0), 350)
    words = sorted(set(w for l in kjv for w in l.split()))
    lines = []
    lines += rng.sample(kjv, min(500, len(kjv)))
    lines += go + py
    lines += CODE_SNIPPETS
    lines += MULTILINGUAL
    lines += numbers_and_dates(rng, 300)
    lines += whitespace_lines(rng, words + MULTILINGUAL[:10], 250)
    lines += special_lines(rng, 300)
    lines += long_words(rng, 40)
    lines += soup(rng, 250)
    lines += [w.upper() for w in rng.sample(kjv, 40)]
    lines += [s.lower() for s in MULTILINGUAL]
    lines += mixes(rng, [kjv, go, py, MULTILINGUAL, CODE_SNIPPETS, SPECIAL_STRINGS, words], 500)
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--bytes", type=int, default=0,
                    help="write plain text of at least this many bytes (for benchmarks) instead of JSON lines")
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    lines = build(rng)
    if args.bytes:
        # Benchmark text: the corpus lines shuffled again and again, one per line.
        chunks, size = [], 0
        while size < args.bytes:
            rng.shuffle(lines)
            for l in lines:
                chunks.append(l)
                size += len(l.encode("utf-8")) + 1
        with open(args.out, "w", encoding="utf-8") as f:
            f.write("\n".join(chunks) + "\n")
        return
    data = "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines).encode("utf-8")
    with open(args.out, "wb") as f:
        if args.out.endswith(".gz"):
            # mtime=0 keeps the output byte-identical from run to run.
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as z:
                z.write(data)
        else:
            f.write(data)
    print("make_corpus: %d lines -> %s" % (len(lines), args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
