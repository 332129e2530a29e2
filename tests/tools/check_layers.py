#!/usr/bin/env python3
"""The layering rules of mapsvc, checked on the source tree.

usage: check_layers.py SOURCE_DIR
       check_layers.py --self-test CASES_FILE

1. Data flows one way.  The modules are the folders under mapsvc/, in the
   order of the ms_add_module lines of CMakeLists.txt (files directly in
   mapsvc/, main.c, come last).  A file may include its own module's
   headers and those of modules before it, never one after it.
2. No include cycle between files (a header including a header that
   includes it back, through any number of steps).
3. Handlers and commands stay short: a function of mapsvc/http/h_*.c or
   mapsvc/cli/cmd_*.c longer than MAX_LINES lines (signature to closing
   brace) needs a stated reason, a comment just above it holding
   "long: why".
4. The fronts call the engine: mapsvc/cli/ and mapsvc/http/ hold no SQL,
   no drawing and no sheet layout (FRONT_RULES below; comments and string
   literals are not code and are not searched).

Prints every violation as FILE:LINE: reason and exits 1 if there is any.
--self-test runs the checks on the small trees of CASES_FILE, each of
which must give the violation it names (or none), so that the checks are
known to catch what they are for.  Python 3 standard library only.
"""
import os
import re
import sys
import tempfile

MAX_LINES = 80

# What the fronts may not do: (label, pattern) over code without comments
# and strings.
FRONT_RULES = [
    ("SQL", re.compile(r"\bsqlite3_\w+|#\s*include\s*<sqlite3\.h>|#\s*include\s*<spatialite"
                       r"|\bPQ[a-z]\w*\s*\(|#\s*include\s*<libpq-fe\.h>")),
    ("drawing", re.compile(r"\b(?:canvas|raster|glyphs|pngenc|cairo)_\w+\s*\(")),
    ("sheet layout", re.compile(r"\broute_write_\w+\s*\(|\broute_sheet_map_\w+\s*\(|\butc_offset_min\b"
                                r"|\bSHEET_MAP_\w+")),
]
FRONTS = ("cli", "http")

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
MODULE = re.compile(r"^\s*ms_add_module\(\s*([A-Za-z0-9_]+)", re.M)


def module_order(root):
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as f:
        return MODULE.findall(f.read())


def sources(root):
    """Every .c and .h under mapsvc/, as paths relative to root."""
    out = []
    for d, _, files in os.walk(os.path.join(root, "mapsvc")):
        for n in files:
            if n.endswith((".c", ".h")):
                out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def module_of(path):
    parts = path.split(os.sep)
    return parts[1] if len(parts) > 2 else "main"


def strip_code(text):
    """text with comments and string/char literals blanked (newlines kept,
    so line numbers stay)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def check_includes(root, files, order, problems):
    rank = {m: i for i, m in enumerate(order)}
    rank["main"] = len(order)
    graph = {f: [] for f in files}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            text = fh.read()
        code = strip_code(text)
        for m in INCLUDE.finditer(text):
            if code[m.start():m.end()].strip() == "":
                continue  # inside a comment
            name = m.group(1)
            here = os.path.normpath(os.path.join(os.path.dirname(f), name))
            top = os.path.normpath(os.path.join("mapsvc", name))
            target = here if os.path.isfile(os.path.join(root, here)) else top
            where = "%s:%d" % (f, line_of(text, m.start()))
            if not os.path.isfile(os.path.join(root, target)):
                problems.append("%s: includes \"%s\": no such file under mapsvc/" % (where, name))
                continue
            graph[f].append(target)
            a, b = module_of(f), module_of(target)
            if a not in rank or b not in rank:
                problems.append("%s: module %s is not an ms_add_module of CMakeLists.txt" %
                                (where, a if a not in rank else b))
            elif rank[b] > rank[a]:
                problems.append("%s: includes %s: module \"%s\" comes after \"%s\" in the data flow "
                                "(CMakeLists.txt's ms_add_module order)" % (where, target, b, a))
    for cycle in cycles(graph):
        problems.append("%s: include cycle: %s" % (cycle[0], " -> ".join(cycle + [cycle[0]])))


def cycles(graph):
    """One cycle per strongly connected component that has one (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        work = [(v, iter(graph.get(v, [])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(graph.get(w, []))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in graph.get(node, []):
                    found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def functions(lines):
    """(first line, last line) of each function: a body opens with '{'
    alone at column 0 and closes with '}' alone at column 0; the signature
    starts at the last line before the brace that begins in column 0."""
    i = 0
    while i < len(lines):
        if lines[i].rstrip() == "{":
            start = i - 1
            while start > 0 and lines[start][:1] in ("\t", " "):
                start -= 1
            end = i + 1
            while end < len(lines) and lines[end].rstrip() != "}":
                end += 1
            yield start, end
            i = end
        i += 1


def stated_reason(lines, start):
    """True when the comment just above line start says "long: reason"."""
    j = start - 1
    if j < 0 or not lines[j].rstrip().endswith("*/"):
        return False
    block = []
    while j >= 0:
        block.append(lines[j])
        if "/*" in lines[j]:
            break
        j -= 1
    return re.search(r"\blong:\s*\S", " ".join(block)) is not None


def check_lengths(root, files, problems):
    for f in files:
        folder, name = os.path.split(f)
        if not ((folder == os.path.join("mapsvc", "http") and name.startswith("h_") and name.endswith(".c")) or
                (folder == os.path.join("mapsvc", "cli") and name.startswith("cmd_") and name.endswith(".c"))):
            continue
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        for start, end in functions(lines):
            n = end - start + 1
            if n > MAX_LINES and not stated_reason(lines, start):
                name = re.sub(r"\(.*", "", lines[start]).split()[-1].lstrip("*")
                problems.append("%s:%d: %s is %d lines, more than %d, without a /* long: reason */ above it"
                                % (f, start + 1, name, n, MAX_LINES))


def check_fronts(root, files, problems):
    for f in files:
        if module_of(f) not in FRONTS:
            continue
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            text = fh.read()
        code = strip_code(text)
        # A #include line's path is a string literal, but it is code here.
        for m in re.finditer(r"^\s*#\s*include\s*<[^>]*>", text, re.M):
            code = code[:m.start()] + text[m.start():m.end()] + code[m.end():]
        for label, rule in FRONT_RULES:
            for m in rule.finditer(code):
                problems.append("%s:%d: %s in a front (%s): the engine's job" %
                                (f, line_of(code, m.start()), label, m.group(0).strip()))


def check(root):
    problems = []
    order = module_order(root)
    files = sources(root)
    check_includes(root, files, order, problems)
    check_lengths(root, files, problems)
    check_fronts(root, files, problems)
    return problems


# --- self-test ---------------------------------------------------------

def parse_cases(path):
    """Cases of the form
         == NAME
         expect: TEXT        (a violation's message contains TEXT; "none": no violation)
         --- FILE            (then the file's lines)
         @repeat N LINE      (inside a file: LINE N times)
    """
    cases, case, current = [], None, None
    with open(path, encoding="utf-8") as f:
        for raw in f.read().split("\n"):
            if raw.startswith("== "):
                case = {"name": raw[3:].strip(), "expect": None, "files": {}}
                cases.append(case)
                current = None
            elif raw.startswith("expect: ") and current is None:
                case["expect"] = raw[len("expect: "):].strip()
            elif raw.startswith("--- "):
                current = raw[4:].strip()
                case["files"][current] = []
            elif raw.startswith("@repeat ") and current is not None:
                _, count, line = raw.split(" ", 2)
                case["files"][current].extend([line] * int(count))
            elif current is not None:
                case["files"][current].append(raw)
    return cases


def self_test(path):
    failed = 0
    cases = parse_cases(path)
    for case in cases:
        with tempfile.TemporaryDirectory() as d:
            for name, lines in case["files"].items():
                p = os.path.join(d, name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines).rstrip("\n") + "\n")
            got = check(d)
        want = case["expect"]
        ok = not got if want == "none" else any(want in p for p in got)
        print("%s %s%s" % ("ok  " if ok else "FAIL", case["name"], "" if ok else ": want %r, got %r" % (want, got)))
        failed += not ok
    print("%d cases, %d failed" % (len(cases), failed))
    return 1 if failed or not cases else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        return self_test(argv[2])
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    problems = check(argv[1])
    for p in problems:
        print(p)
    print("check_layers: %d problem%s" % (len(problems), "" if len(problems) == 1 else "s"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
