#!/usr/bin/env python3
"""Fails when a module of app/src imports a module of a higher layer, or modules import
each other in a loop.

Layers, lowest first: domain -> error -> infra -> services -> api -> pages -> the crate root.
A module may use its own layer and those below it. Modules are files (`a/b.rs` is `a::b`).
Usage: check_layers.py [SRC_DIR] [--graph] | check_layers.py --self-test
"""
import re
import sys
import tempfile
from pathlib import Path

LAYERS = ["domain", "error", "infra", "services", "api", "pages"]
USE_RE = re.compile(r"\buse\s+((?:crate|super|self)\b[^;]*);", re.S)
PATH_RE = re.compile(r"\b((?:crate|super|self)(?:::\w+)+)")


def module_of(src: Path, file: Path) -> tuple[str, ...]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "mod", "main"):
        parts.pop()
    return tuple(parts)


def expand(tree: str) -> list[str]:
    """`a::{b, c::{d}}` -> ["a::b", "a::c::d"]."""
    tree = re.sub(r"\s+", "", tree)
    start = tree.find("{")
    if start < 0:
        return [tree]
    prefix, inner = tree[:start], tree[start + 1 : tree.rfind("}")]
    items, depth, cur = [], 0, ""
    for ch in inner:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    return [p for item in items if item for p in expand(prefix + item)]


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def resolve(path: str, here: tuple[str, ...], modules: set) -> tuple[str, ...] | None:
    segs = path.split("::")
    base: list[str] = list(here)
    while segs and segs[0] in ("crate", "super", "self"):
        head = segs.pop(0)
        if head == "crate":
            base = []
        elif head == "super":
            base = base[:-1]
    full = base + segs
    for n in range(len(full), -1, -1):
        if tuple(full[:n]) in modules:
            return tuple(full[:n])
    return None


def edges(src: Path) -> dict:
    files = {module_of(src, f): f for f in src.rglob("*.rs")}
    modules = set(files)
    graph: dict = {m: set() for m in modules}
    for mod, file in files.items():
        text = strip_comments(file.read_text())
        paths = [p for tree in USE_RE.findall(text) for p in expand(tree)]
        paths += PATH_RE.findall(USE_RE.sub("", text))
        for p in paths:
            target = resolve(p, mod, modules)
            if target is not None and target != mod and not is_ancestor(target, mod):
                graph[mod].add(target)
    return graph


def is_ancestor(a: tuple, b: tuple) -> bool:
    """`super::X` from a child names an item its parent declares: the child's own scope."""
    return len(a) < len(b) and b[: len(a)] == a


def layer(mod: tuple) -> int:
    if not mod:
        return len(LAYERS)
    return LAYERS.index(mod[0]) if mod[0] in LAYERS else -1


def cycles(graph: dict) -> list[list]:
    """Tarjan's strongly connected components of more than one module."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def name(mod: tuple) -> str:
    return "::".join(mod) or "crate"


def problems_of(graph: dict) -> list[str]:
    problems = []
    for mod in sorted(graph):
        if layer(mod) < 0:
            problems.append(f"{name(mod)}: not in a layer ({', '.join(LAYERS)})")
        for dep in sorted(graph[mod]):
            if layer(dep) > layer(mod) >= 0:
                problems.append(f"{name(mod)} imports {name(dep)}, a higher layer")
    for comp in cycles(graph):
        problems.append("import cycle: " + " <-> ".join(name(m) for m in comp))
    return problems


def self_test() -> int:
    """The check must fail on an upward import and on a cycle, and pass on a clean tree."""
    trees = {
        "clean": {"domain/mod.rs": "pub mod a;", "domain/a.rs": "", "pages/mod.rs": "use crate::domain::a::X;"},
        "upward": {"domain/mod.rs": "use crate::pages::Page;", "pages/mod.rs": ""},
        "cycle": {
            "services/mod.rs": "pub mod a; pub mod b;",
            "services/a.rs": "use crate::services::b::{B, c::{D}};",
            "services/b.rs": "fn f() { crate::services::a::g() }",
        },
        "no layer": {"misc.rs": ""},
    }
    failed = []
    for label, files in trees.items():
        with tempfile.TemporaryDirectory() as tmp:
            for rel, text in files.items():
                path = Path(tmp) / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            found = problems_of(edges(Path(tmp)))
        if bool(found) != (label != "clean"):
            failed.append(f"{label}: {found or 'no problem found'}")
    for f in failed:
        print("self-test failed:", f)
    print(f"layers self-test: {len(trees) - len(failed)}/{len(trees)} trees judged right")
    return 1 if failed else 0


def main() -> int:
    if "--self-test" in sys.argv:
        return self_test()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = Path(args[0] if args else Path(__file__).parent.parent / "app" / "src")
    graph = edges(src)
    problems = problems_of(graph)
    if "--graph" in sys.argv:
        for mod in sorted(graph):
            print(f"{name(mod)} -> {', '.join(name(d) for d in sorted(graph[mod]))}")
    for p in problems:
        print(p)
    print(f"layers: {len(graph)} modules, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
