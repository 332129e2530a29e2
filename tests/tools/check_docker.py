#!/usr/bin/env python3
"""Checks the Dockerfile against the binary it packages (issue 13, item 4);
Docker itself cannot run here, so what can be checked without it is:

  - the runtime stage's package list covers every library the binary
    links: each library `ldd` resolves belongs (dpkg -S) to a listed
    package, to a package those depend on (dpkg's Depends and
    Pre-Depends, followed to the end), or to Debian's essential set,
    which every Debian image holds; a library the binary names itself
    (its ELF NEEDED entries) must come from a listed package or the
    essential set, not by chance through another package's dependencies;
  - the HEALTHCHECK runs `mapsvc health` (exec form), a command the
    binary has, not something that succeeds while the server is hung;
  - it runs as a numeric non-root user, with /data and /styles as
    volumes, the installed binary as the entry point and `serve` as the
    command; the MAPSVC_* variables it sets are options the binary takes
    (checked by `mapsvc serve --print-config` under them).

usage: check_docker.py DOCKERFILE MAPSVC_BINARY
       check_docker.py --self-test BAD_DOCKERFILE MAPSVC_BINARY
(the self-test passes when every "# expect: TEXT" line of the file names a
problem that is reported)
"""
import os
import re
import shlex
import subprocess
import sys


def instructions(path):
    """The Dockerfile as (INSTRUCTION, argument text), continuation lines
    joined and comments dropped."""
    out, cur = [], ""
    for line in open(path, encoding="utf-8"):
        s = line.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if s.lstrip().startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out


def runtime_stage(ins):
    last = max(i for i, (w, _) in enumerate(ins) if w == "FROM")
    return ins[last][1], ins[last + 1:]


def installed_by(stage):
    """The packages the stage's apt-get install lines name."""
    pkgs = set()
    for word, arg in stage:
        if word != "RUN":
            continue
        for cmd in re.split(r"&&|;", arg):
            toks = shlex.split(cmd)
            if "apt-get" in toks and "install" in toks:
                pkgs |= {t for t in toks[toks.index("install") + 1:] if not t.startswith("-")}
    return pkgs


def dpkg_database():
    """{package: (dependencies, essential)} of every installed package."""
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Essential}\t${Depends}, ${Pre-Depends}\n"],
                         capture_output=True, text=True, check=True).stdout
    db = {}
    for line in out.splitlines():
        name, essential, deps = line.split("\t")
        alts = []
        for d in deps.split(","):
            names = [re.sub(r"[\s(:].*$", "", a.strip()) for a in d.split("|") if a.strip()]
            if names:
                alts.append(names)
        db[name] = (alts, essential == "yes")
    return db


def closure(roots, db):
    """roots and everything they depend on (of each alternative, those
    installed here: the ones apt would have picked or kept)."""
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alts in db.get(p, ([], False))[0]:
            todo.extend(a for a in alts if a in db)
    return seen


def packages_of(paths):
    """{path: package} by one dpkg -S over every spelling of the paths
    (merged /usr: /lib/x is /usr/lib/x in dpkg's lists, or the reverse)."""
    spell = {}
    for p in paths:
        for q in (p, os.path.realpath(p)):
            for r in (q, q[4:] if q.startswith("/usr/") else "/usr" + q):
                spell.setdefault(r, p)
    out = subprocess.run(["dpkg", "-S"] + sorted(spell), capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        pkg, _, path = line.partition(": ")
        if path in spell:
            found.setdefault(spell[path], pkg.split(":")[0].split(",")[0].strip())
    return found


def check_libraries(binary, listed, problems):
    db = dpkg_database()
    base = closure([p for p, (_, ess) in db.items() if ess], db)
    for p in sorted(listed):
        if p not in db:
            problems.append("the Dockerfile installs %s, which is not a package installed here to check" % p)
    provided = closure(listed, db) | base
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    resolved = {}
    for line in ldd.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if m:
            resolved[m.group(1)] = m.group(2)
        elif "not found" in line:
            problems.append("ldd: %s" % line.strip())
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]",
                        subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout)
    assert needed and resolved, "no libraries found: is %s a dynamic executable?" % binary
    owner = packages_of(resolved.values())
    for soname, path in sorted(resolved.items()):
        pkg = owner.get(path)
        if pkg is None:
            problems.append("%s (%s) belongs to no Debian package" % (soname, path))
        elif soname in needed and pkg not in listed | base:
            problems.append("the binary links %s (package %s): install it by name in the runtime stage" % (soname, pkg))
        elif pkg not in provided:
            problems.append("%s (package %s) is in no listed package's dependencies" % (soname, pkg))
    return len(resolved)


def check_stage(stage, binary, problems):
    words = [(w, a) for w, a in stage]
    health = [a for w, a in words if w == "HEALTHCHECK"]
    if len(health) != 1:
        problems.append("one HEALTHCHECK wanted, found %d" % len(health))
    else:
        m = re.search(r"CMD\s+(\[.*\])", health[0])
        cmd = eval(m.group(1)) if m else []  # JSON array: the exec form
        if len(cmd) < 2 or not cmd[0].endswith("/mapsvc") or cmd[1] != "health":
            problems.append("HEALTHCHECK must run `mapsvc health` in exec form: %s" % health[0])
        elif subprocess.run([binary] + cmd[1:] + ["--help"], capture_output=True).returncode != 0:
            problems.append("the binary has no %s command" % " ".join(cmd[1:]))
    users = [a for w, a in words if w == "USER"]
    if not users or not re.match(r"^[1-9][0-9]*(:[1-9][0-9]*)?$", users[-1]):
        problems.append("the image must run as a numeric non-root USER, found %s" % users)
    vols = " ".join(a for w, a in words if w == "VOLUME")
    for v in ("/data", "/styles"):
        if '"%s"' % v not in vols:
            problems.append("VOLUME lacks %s" % v)
    entry = [a for w, a in words if w == "ENTRYPOINT"]
    if not entry or eval(entry[-1])[0] != "/opt/mapsvc/bin/mapsvc":
        problems.append("ENTRYPOINT must be the installed binary: %s" % entry)
    if [eval(a) for w, a in words if w == "CMD"][-1:] != [["serve"]]:
        problems.append("CMD must be [\"serve\"]")
    env = {}
    for w, a in words:
        if w == "ENV":
            for item in shlex.split(a):
                k, _, v = item.partition("=")
                env[k] = v
    bad = [k for k in env if not k.startswith("MAPSVC_")]
    r = subprocess.run([binary, "serve", "--print-config"], env=dict(os.environ, **env), capture_output=True,
                       text=True)
    if r.returncode != 0 or any("env:" + k not in r.stdout for k in env if k not in bad):
        problems.append("the image's variables are not all options serve takes: %s" % (r.stderr or env))


def problems_of(dockerfile, binary):
    ins = instructions(dockerfile)
    base, stage = runtime_stage(ins)
    problems = []
    if base != "debian:12-slim":
        problems.append("the runtime stage is %s, not debian:12-slim" % base)
    listed = installed_by(stage)
    if not listed:
        problems.append("the runtime stage installs no package")
    n = check_libraries(binary, listed, problems)
    check_stage(stage, binary, problems)
    return problems, n, len(listed)


def main(argv):
    self_test = len(argv) == 4 and argv[1] == "--self-test"
    if len(argv) != 3 and not self_test:
        print(__doc__, file=sys.stderr)
        return 2
    dockerfile, binary = argv[-2], argv[-1]
    problems, n, nlisted = problems_of(dockerfile, binary)
    for p in problems:
        print("check_docker: %s" % p)
    print("check_docker: %d problems (%d libraries, %d packages listed)" % (len(problems), n, nlisted))
    if not self_test:
        return 1 if problems else 0
    expected = re.findall(r"^# expect: (.*)$", open(dockerfile, encoding="utf-8").read(), re.M)
    missed = [e for e in expected if not any(e in p for p in problems)]
    for e in missed:
        print("check_docker: self-test: no problem says %r" % e)
    return 1 if missed or not expected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
