#!/usr/bin/env python3
"""Fails when ARCHITECTURE.md cites something the tree no longer has.

Checked citations:
- a path (`services/intake/src/http/step.rs`, `tests/it/walk.rs`, `check-boundaries.sh`): some
  tracked file's path must end with it (the document often names a file relative to the
  service or folder its paragraph is about);
- a path with an item (`domain/list.rs::rank`): one of those files must define the item
  (`fn`, `struct`, `enum`, `trait`, `type`, `const`, `static`, `mod` or `macro_rules!`);
- a module path (`napoleon_db::contracts::move_dossier`, `store::insert_draft`): its last
  segment must be defined in a Rust file whose path holds the module before it (a crate name
  maps to its folder: `napoleon_web` → `shared/web` or `services/web`).

Rust-language paths that are not the project's (`axum::serve`) are skipped: only crates of
the workspace and modules that exist in it are checked.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "ARCHITECTURE.md"
EXTS = "rs|sh|py|toml|md|hbs|sql|mjs|js|yaml|yml|json|css"
PATH_RE = re.compile(r"(?<![\w/.-])([\w./-]+\.(?:%s))(?![\w])((?:::\w+)*)" % EXTS)
MODULE_RE = re.compile(r"`((?:[a-z_][a-z0-9_]*::)+[A-Za-z_][A-Za-z0-9_]*)")
DEF_RE = r"(?:fn|struct|enum|trait|type|const|static|mod|macro_rules!)\s+{}\b"


def tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return [line for line in out.splitlines() if line]


def defines(path: str, item: str) -> bool:
    try:
        text = (ROOT / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(DEF_RE.format(re.escape(item)), text) is not None


def main() -> int:
    files = tracked()
    rust = [f for f in files if f.endswith(".rs")]
    text = DOC.read_text(encoding="utf-8")
    errors: list[str] = []

    def matching(cited: str) -> list[str]:
        cited = cited.lstrip("./")
        return [f for f in files if f == cited or f.endswith("/" + cited)]

    for number, line in enumerate(text.splitlines(), start=1):
        for match in PATH_RE.finditer(line):
            cited, items = match.group(1), match.group(2)
            # URLs and URL paths (`/<svc>/api/v1/openapi.json`) are not files.
            if cited.startswith(("http:", "https:", "/")) or "*" in cited:
                continue
            # Paths outside the repository (the design notes one level up) are not ours.
            if cited.startswith("../") or cited.startswith("design/"):
                continue
            found = matching(cited)
            if not found:
                errors.append(f"ARCHITECTURE.md:{number}: `{cited}` names no file of the tree")
                continue
            for item in [i for i in items.split("::") if i]:
                if not any(defines(f, item) for f in found):
                    errors.append(
                        f"ARCHITECTURE.md:{number}: `{cited}::{item}`: no such item in "
                        + ", ".join(found)
                    )
        for match in MODULE_RE.finditer(line):
            segments = match.group(1).split("::")
            modules, item = segments[:-1], segments[-1]
            if modules[0].startswith("napoleon_"):
                folder = modules[0].removeprefix("napoleon_")
                prefixes = [f"shared/{folder}/", f"services/{folder}/"]
                if folder == "napoleon":
                    prefixes = ["services/napoleon/"]
                modules = modules[1:]
            else:
                prefixes = [""]
            candidates = [
                f for f in rust
                if any(f.startswith(p) for p in prefixes)
                and all(f"/{m}" in f or f"{m}/" in f or f.endswith(f"{m}.rs") for m in modules)
            ]
            if not candidates:
                # Not a path of this workspace (a library's: `axum::serve`).
                if prefixes == [""]:
                    continue
                errors.append(f"ARCHITECTURE.md:{number}: `{match.group(1)}`: no such module")
                continue
            # The item may be a type or module re-exported (`napoleon_rules::dossier`).
            if not any(defines(f, item) for f in candidates) and not any(
                f.endswith(f"/{item}.rs") or f"/{item}/" in f for f in candidates
            ):
                errors.append(
                    f"ARCHITECTURE.md:{number}: `{match.group(1)}`: `{item}` is defined nowhere"
                    " in that module"
                )
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} citation(s) of ARCHITECTURE.md no longer true", file=sys.stderr)
        return 1
    print("ARCHITECTURE.md: every cited path and item exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
