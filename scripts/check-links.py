#!/usr/bin/env python3
"""Checks that every relative link and file path the repository names resolves in a clone.

Run by `.ci/run`. Reads the files git tracks (a fresh clone has nothing else) and checks:

- Markdown files: every link `[text](target)` that is not a URL resolves to a tracked file
  or folder, and a `#fragment` into a Markdown file names one of its headings; every path
  in backticks resolves.
- Rust comments (`//`, `//!`, `///`), comments in Cargo.toml and other TOML files, and shell
  and Python scripts: every path they name resolves.

A "path" is a token containing a slash that starts with a top-level folder of the repository,
with `./` or `../`, or ends in a source-file extension. It may be relative to the repository
root, to the naming file's folder, or to its crate (the nearest folder with a Cargo.toml, or
that crate's `src/`); `*` and `{a,b}` are expanded as globs. Nothing may point outside the
repository. A path into another project's source is written with that project's name in
front of it on the same line, followed by a colon (`reed-solomon-simd: src/lib.rs`), and is
not checked.

Exits 1 and lists every broken reference as `file:line: reference (why)`.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = (
    "programs", "contracts", "offchain", "indexer", "migrations", "app-tests", "scripts",
    "docs", ".ci",
)
EXTENSIONS = (".rs", ".md", ".sh", ".py", ".toml", ".sql", ".json", ".wasm", ".lock")

MD_LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
BACKTICKS = re.compile(r"`([^`\n]+)`")
PATH_TOKEN = re.compile(r"(?<![\w~/$.<>-])(?:\.{1,2}/)*[A-Za-z0-9_.\-*{}]+(?:/[A-Za-z0-9_.\-*{},]+)+/?")
FOREIGN = re.compile(r"\b[a-z][a-z0-9_-]*(?: [0-9][0-9.]*)?: ")


def tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    return [p for p in out.decode().split("\0") if p]


FILES = tracked()
FILE_SET = set(FILES)
DIR_SET = {str(PurePosixPath(p).parent) for p in FILES}
for p in list(DIR_SET):
    while p not in ("", "."):
        p = str(PurePosixPath(p).parent)
        DIR_SET.add(p)


def normalize(path: PurePosixPath) -> str | None:
    """Resolves `.` and `..`; None when the path climbs out of the repository."""
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def expand_braces(pattern: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    out = []
    for alt in m.group(1).split(","):
        out.extend(expand_braces(pattern[: m.start()] + alt + pattern[m.end():]))
    return out


def exists(candidate: str) -> bool:
    candidate = candidate.rstrip("/")
    if any(c in candidate for c in "*?["):
        return any(fnmatch.fnmatchcase(f, candidate) for f in FILES) or any(
            fnmatch.fnmatchcase(d, candidate) for d in DIR_SET
        )
    return candidate in FILE_SET or candidate in DIR_SET


def crate_dirs(source: str) -> list[str]:
    """The folder of the crate `source` belongs to, and its src/."""
    d = PurePosixPath(source).parent
    while True:
        if f"{d}/Cargo.toml" in FILE_SET or (str(d) == "." and "Cargo.toml" in FILE_SET):
            return [str(d), f"{d}/src"]
        if str(d) in ("", "."):
            return []
        d = d.parent


def resolves(source: str, reference: str) -> tuple[bool, str]:
    if "shared/" in reference and reference.startswith("../"):
        return False, "points outside the repository"
    for ref in expand_braces(reference):
        bases = ["", str(PurePosixPath(source).parent)] + crate_dirs(source)
        if ref.startswith(("./", "../")):
            bases = [str(PurePosixPath(source).parent)]
        found = False
        for base in bases:
            joined = normalize(PurePosixPath(base) / ref)
            if joined is None:
                return False, "points outside the repository"
            if exists(joined):
                found = True
                break
        if not found:
            return False, "no such file or folder"
    return True, ""


def looks_like_path(token: str) -> bool:
    token = token.rstrip(".,;:)")
    if "://" in token or token.startswith(("/", "~", "$")):
        return False
    if token.startswith(("./", "../")):
        return True
    first = token.split("/", 1)[0]
    return first in TOP_LEVEL or token.endswith(EXTENSIONS)


def slug(heading: str) -> str:
    text = re.sub(r"[`*_\[\]()]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(md: str) -> set[str]:
    text = (ROOT / md).read_text(encoding="utf-8")
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def check_markdown(path: str, problems: list[str]) -> None:
    in_fence = False
    for n, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for m in MD_LINK.finditer(line):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue
            file_part, _, fragment = target.partition("#")
            if file_part:
                ok, why = resolves(path, file_part)
                if not ok:
                    problems.append(f"{path}:{n}: {target} ({why})")
                    continue
                linked = normalize(PurePosixPath(path).parent / file_part)
            else:
                linked = path
            if fragment and linked and linked.endswith(".md") and fragment not in anchors(linked):
                problems.append(f"{path}:{n}: {target} (no heading #{fragment})")
        for m in BACKTICKS.finditer(line):
            check_tokens(path, n, m.group(1), problems)


def check_tokens(path: str, n: int, text: str, problems: list[str]) -> None:
    foreign = FOREIGN.search(text)
    for m in PATH_TOKEN.finditer(text):
        if foreign and foreign.end() <= m.start():
            continue
        token = m.group(0).rstrip(".,;:)")
        if not looks_like_path(token):
            continue
        ok, why = resolves(path, token)
        if not ok:
            problems.append(f"{path}:{n}: {token} ({why})")


def comments(path: str) -> list[tuple[int, str]]:
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    if path.endswith(".rs"):
        marker = re.compile(r"^\s*//[/!]?(.*)$")
    else:
        marker = re.compile(r"^\s*#(?!!)(.*)$")
    out = []
    for n, line in enumerate(lines, 1):
        m = marker.match(line)
        if m:
            out.append((n, m.group(1)))
    return out


def is_script(path: str) -> bool:
    if path.endswith((".sh", ".py")) or path.startswith(".ci/"):
        return True
    return False


def main() -> int:
    problems: list[str] = []
    for path in FILES:
        if path.endswith(".md"):
            check_markdown(path, problems)
        elif path.endswith((".rs", ".toml")) or is_script(path):
            for n, text in comments(path):
                check_tokens(path, n, text, problems)
    for path in FILES:
        if path.endswith((".md", ".rs", ".toml", ".sh", ".py")) or is_script(path):
            text = (ROOT / path).read_text(encoding="utf-8")
            for n, line in enumerate(text.splitlines(), 1):
                if "../shared" in line and path != "scripts/check-links.py":
                    problems.append(f"{path}:{n}: ../shared (points outside the repository)")
    for p in sorted(set(problems)):
        print(p)
    if problems:
        print(f"{len(set(problems))} broken references", file=sys.stderr)
        return 1
    print(f"links: {len(FILES)} tracked files checked, every reference resolves", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
