"""Assemble held-out texts of other domains from licence-clear text on this
machine, for bench/quality/run.sh (the README's "What to expect" scores on
godoc.txt and licenses.txt). Writes into $OUT (default ./texts):

tune.txt      README files under /usr/share/doc (hyper-parameters are picked here only)
godoc.txt     doc comments of the Go standard library
pydoc.txt     docstrings of the Python standard library
licenses.txt  /usr/share/common-licenses
Each: printable ASCII plus newline, paragraphs separated by blank lines, capped at ~200 KB.
"""
import ast, glob, gzip, os, re

CAP = 200_000
OUT = os.environ.get("OUT", "texts")


def clean(s):
    s = s.replace("\t", "    ").replace("\r", "")
    s = "".join(c for c in s if c == "\n" or 32 <= ord(c) < 127)
    s = re.sub(r"[ ]+\n", "\n", s)
    s = re.sub(r"\n{3,}", "\n\n", s)
    return s.strip("\n")


def write(name, paras):
    out, n = [], 0
    for p in paras:
        p = clean(p)
        if len(p) < 40:
            continue
        out.append(p)
        n += len(p) + 2
        if n >= CAP:
            break
    text = "\n\n".join(out) + "\n"
    open(os.path.join(OUT, name), "w").write(text)
    print(name, len(text))


def readmes():
    for path in sorted(glob.glob("/usr/share/doc/*/README*")):
        if os.path.isdir(path):
            continue
        raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
        yield raw.decode("utf-8", "replace")


def godoc():
    files = sorted(f for f in glob.glob("/usr/local/go/src/**/*.go", recursive=True)
                   if not f.endswith("_test.go") and "/testdata/" not in f and "/vendor/" not in f
                   and "/internal/" not in f and "/cmd/" not in f)
    for f in files:
        block = []
        for line in open(f, encoding="utf-8", errors="replace"):
            s = line.strip()
            if s.startswith("//") and not s.startswith("//go:") and not s.startswith("// +build"):
                block.append(s[2:].strip())
            else:
                if len(block) >= 2 and "Copyright" not in block[0]:
                    yield "\n".join(block)
                block = []


def pydoc():
    for f in sorted(glob.glob("/usr/lib/python3.11/**/*.py", recursive=True)):
        if "/test" in f or "/idlelib/" in f or "/lib2to3/" in f:
            continue
        try:
            tree = ast.parse(open(f, encoding="utf-8").read())
        except Exception:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                d = ast.get_docstring(node)
                if d and len(d) > 80:
                    yield d


def licenses():
    for f in sorted(glob.glob("/usr/share/common-licenses/*")):
        if not os.path.islink(f):
            yield open(f, encoding="utf-8", errors="replace").read()


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("tune.txt", readmes())
    # godoc: spread over the tree instead of the first packages alphabetically
    g = list(godoc()); write("godoc.txt", g[::max(1, len(g) // 2500)])
    p = list(pydoc()); write("pydoc.txt", p[::max(1, len(p) // 1500)])
    write("licenses.txt", licenses())
