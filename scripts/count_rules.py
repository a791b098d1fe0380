#!/usr/bin/env python3
"""Counts the hand-written cue and prior code of the AI worker, per git revision.

Usage: count_rules.py [--items] [REV ...]   (no REV: the working tree; --items lists what counts)

Cue/prior code is language understanding done by hand instead of by the model: code that reads
the words of the utterance to decide or push an order field ("빼고"/"no"/"더"/"extra" next to a
name, a number next to a component, "same as before"), priors (log-odds added to the model's
scores at a decision), and rules that overrule or patch the model's answer after decoding.
Not counted: number words to numbers, ASR near-miss correction, finding which menu names occur
in the text, validation against the menu, confidence, replies, prompt text and examples, the
grammar/token-trie decoder, JSON and state formatting.

Rules, so that two revisions are measured alike:
- A code line is a line with code on it, outside `#[cfg(test)]` items; comment-only and blank
  lines are not code. Comments are dropped and what strings hold is masked first, so braces
  and words in them are not read as code.
- Items (`fn`, `impl` blocks' `fn`s as `Type::name`, `const`, `static`, `struct`, `enum`) are
  found by brace matching; an item's attributes belong to it.
- An item named in CUE counts whole, signature included (so code moved out of a mixed item
  into a function of its own adds its signature lines). Every code line of priors.rs (the
  prior table split out of llm.rs) counts.
- An item named in MIXED is mostly decoder, reply or confidence with the cue/prior code written
  inline: in it, a statement counts whole when its code matches the item's pattern. Statements
  are read from rustfmt's layout (a line at the block's indentation starts one); a `for`,
  `while` or `loop` is not counted whole: its body's statements are judged one by one.
"""
import bisect
import re
import subprocess
import sys
from functools import partial
from pathlib import Path

ROOT = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=Path(__file__).parent,
                      capture_output=True, text=True, check=True).stdout.strip()
SRC = "ai-worker/src"
FILES = ["prompt.rs", "llm.rs", "compose.rs", "priors.rs"]
WHOLE_FILES = {"priors.rs"}

# Names at 0e122a2 and at HEAD; a name absent at a revision simply matches nothing.
CUE = {
    "prompt.rs": {
        "AmountCue",  # what the words next to a name say about its amount
        "AmountCue::amount",
        "Heard::says_a_number",  # only feeds the quantity prior ("with three glasses" is one)
        "Heard::dinner_numbers",  # which numbers count dinners and which count components
        "Heard::says_a_dinner_number",
        "Heard::dinner_number",
        "Heard::more_dinners",  # "하나 더" / "two more" of dinners
        "Heard::amount_cue",  # "빼고" / "no" / "더" / "extra" / a number next to a name
        "set_after",  # "3잔으로": the number right after a Korean name
        "set_before",  # "two coffees": the number right before an English name
        "is_more_word",  # "더", "추가", "extra", "another"
        "words_before",  # the word windows next to a name; only the cue readers use them
        "words_after",
        "is_clause_end",  # where those windows stop
    },
    "llm.rs": {
        # 0e122a2: the priors as constants.
        "SIDE_DISH_PRIOR", "UNNAMED_SIDE_DISH_PRIOR", "NAMED_COMPONENT_PRIOR",
        "AMOUNT_CUE_PRIOR", "MORE_CUE_PRIOR", "SET_CUE_PRIOR", "DINNER_NUMBER_PRIOR",
        "OWN_COMPONENTS_PRIOR", "KEEP_PRIOR",
        "keep_prior",  # bias vectors from a prior
        "quantity_prior",
        # A removal cue ("콜라는 빼줘") decides whether a shared name means a side dish.
        "sides_meaning_components",
        # HEAD: the inline priors of 0e122a2's write_analysis became functions.
        "AnalysisInput::dinner_bias",
        "AnalysisInput::quantity_bias",
        "AnalysisInput::side_dish_zero_bias",
        "AnalysisInput::amount_bias",
        "AnalysisInput::new_dinners",  # dinners named and not ordered yet: the named_line cue
        "AnalysisInput::write_fresh_dinner",  # its job is the named_line bias; choosing is one call
        "AnalysisInput::addressed",  # whether the words are about a line; else it keeps all
    },
    "compose.rs": {
        "STYLE_MIN_P",  # below it the model's style is replaced (a patch, not a confidence)
        "settle_style",  # patches the decoded style after decoding
        "settle_more_styles",
        "said_style",  # only the two patches above ask it
    },
}
# Not counted though near the line: `guess` (llm.rs) reads the same cues, but only drafts tokens
# for speculative decoding: the model still decides every field. `component_mention` finds which
# component a word names (menu matching). `Heard::numbers` finds number words.

# What marks a cue/prior statement in a mixed item: the words read (`heard.`), a prior value,
# a bias being bound, or the HEAD cue helpers that gate a decision.
PRIOR_MARK = (r"heard\.|priors\.|\b[A-Z_]+_PRIOR\b|\blet\s+(?:mut\s+)?\w*bias\b"
              r"|\baddressed\b|\bnew_dinners\(")
MIXED = {
    "llm.rs": {
        "write_analysis": PRIOR_MARK,  # 0e122a2: the whole decoder, priors inline
        "AnalysisInput::write_kept_line_head": PRIOR_MARK,  # a line stays unless named
        "AnalysisInput::write_new_lines": PRIOR_MARK,  # named_line bias on adding a line
        "AnalysisInput::write_style": PRIOR_MARK,  # keep prior on the style
        "AnalysisInput::write_customizations": PRIOR_MARK,  # asks only if addressed
        "AnalysisInput::write_added_components": PRIOR_MARK,  # keep prior on stopping
    },
    # 0e122a2: composing the answer, with the style patch (HEAD's settle_style) inline.
    "compose.rs": {"analysis": r"\bSTYLE_MIN_P\b|\bkept_style\b|\bstyle_named\b"},
}

HEADER = re.compile(
    r"^[ \t]*(?:pub(?:\([^)]*\))?\s+)?(?:(?:const|async|unsafe)\s+)*"
    r"(fn|const|static|struct|enum|trait|impl|mod|type|union)\b", re.M)
RAW_STRING = re.compile(r'(?<!\w)b?r(#*)"')
CHAR = re.compile(r"'(?:\\[^']+|[^\\'])'")  # not a lifetime: 'a' is a char, 'a alone is not
Lines = list[tuple[int, str]]  # (line index, code)


def literal(text: str, i: int) -> tuple[int, int] | None:
    """The end of the comment, string or char at `i` and how many delimiter chars to keep on
    each side (0 for a comment, which leaves nothing); None for plain code."""
    if text.startswith("//", i):
        end = text.find("\n", i)
        return (len(text) if end < 0 else end), 0
    if text.startswith("/*", i):
        return text.index("*/", i) + 2, 0
    if m := RAW_STRING.match(text, i):
        return text.index('"' + m.group(1), m.end()) + 1 + len(m.group(1)), 1
    if text[i] == '"':
        j = i + 1
        while text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return j + 1, 1
    if m := CHAR.match(text, i):
        return m.end(), 1
    return None


def blank(text: str) -> str:
    """`text` without comments, and with `_` for what strings and chars hold, so that braces and
    words in them are not code (a line of a long string still is); lines keep their places."""
    out, i = [], 0
    while i < len(text):
        span = literal(text, i)
        if span is None:
            out.append(text[i])
            i += 1
            continue
        end, keep = span
        inside = re.sub(r"\S", "_" if keep else " ", text[i + keep:end - keep])
        out.append(text[i:i + keep] + inside + text[end - keep:end])
        i = end
    return "".join(out)


def item_end(code: str, start: int, kind: str) -> int:
    """The offset of the `}` or `;` that ends the item whose keyword is at `start`."""
    depth, opened = 0, False
    for j in range(start, len(code)):
        c = code[j]
        if c in "([{":
            depth, opened = depth + 1, opened or c == "{"
        elif c in ")]}":
            depth -= 1
            # A const's value may be a struct literal: only its `;` ends it.
            if depth == 0 and c == "}" and opened and kind not in ("const", "static", "type"):
                return j
        elif c == ";" and depth == 0:
            return j
    raise ValueError(f"unclosed {kind} at offset {start}")


def impl_type(header: str) -> str:
    """`Run` of `impl Writer for Run<'_>`, `AnalysisInput` of `impl<'a> AnalysisInput<'a>`."""
    while re.search(r"<[^<>]*>", header):
        header = re.sub(r"<[^<>]*>", "", header)
    return re.findall(r"\w+", header.split(" for ")[-1])[-1]


def items(code: str, start: int = 0, end: int | None = None, prefix: str = ""):
    """(name, first offset, last offset) of each item; `impl` and `trait` blocks are entered."""
    pos, end = start, len(code) if end is None else end
    while m := HEADER.search(code, pos, end):
        kind, stop = m.group(1), item_end(code, m.start(1), m.group(1))
        if kind in ("impl", "trait"):
            body = code.index("{", m.start(1))
            yield from items(code, body + 1, stop, impl_type(code[m.start(1):body]) + "::")
        else:
            yield prefix + re.match(r"\s*(\w+)", code[m.end():]).group(1), m.start(), stop
        pos = stop + 1


def indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def statements(lines: Lines) -> list[Lines]:
    """The lines of one rustfmt'd block grouped into statements: a line at the block's
    indentation starts one, unless it closes a bracket (`} else {`, `};`, `)?;`)."""
    least = min(indent(c) for _, c in lines)
    groups: list[Lines] = []
    for n, c in lines:
        if not groups or (indent(c) == least and not c.lstrip().startswith(("}", ")", "]"))):
            groups.append([])
        groups[-1].append((n, c))
    return groups


def marked(lines: Lines, mark: re.Pattern) -> set[int]:
    """The lines of the statements of `lines` that match `mark`; a loop is judged by the
    statements of its body, since its other lines are the decoder's."""
    found: set[int] = set()
    for st in statements(lines) if lines else []:
        if re.match(r"(for|while|loop)\b", st[0][1].lstrip()) and len(st) > 2:
            found |= marked(st[1:-1], mark)
        elif any(mark.search(c) for _, c in st):
            found |= {n for n, _ in st}
    return found


def item_lines(code: list[str], first: int, last: int) -> tuple[set[int], bool]:
    """The code lines of the item on lines `first` to `last` with the attributes right above
    it, and whether one of those is `#[cfg(test)]`."""
    top = first
    while top > 0 and (not code[top - 1].strip() or code[top - 1].lstrip().startswith("#[")):
        top -= 1
    test = any(code[n].strip() == "#[cfg(test)]" for n in range(top, first))
    return {n for n in range(top, last + 1) if code[n].strip()}, test


def cue_lines(file: str, item: str, code: list[str], span: set[int], body: int) -> set[int]:
    """The lines of `item` (code lines `span`, its body opening on line `body`) that count."""
    if item in CUE.get(file, ()) or file in WHOLE_FILES:
        return span
    if item in MIXED.get(file, {}):
        inside = [(n, code[n]) for n in sorted(span) if body < n < max(span)]
        return marked(inside, re.compile(MIXED[file][item]))
    return set()


def classify(file: str, text: str) -> tuple[int, int, list[tuple[str, int]]]:
    """Code lines, cue/prior lines, and each item with cue/prior lines, of one file."""
    joined = blank(text)
    code = joined.split("\n")
    line_of = partial(bisect.bisect_right, [m.end() for m in re.finditer("\n", joined)])
    test, cue, counted = set(), set(), []
    for item, a, b in items(joined):
        span, is_test = item_lines(code, line_of(a), line_of(b))
        if is_test:
            test |= span
            continue
        lines = cue_lines(file, item, code, span, line_of(joined.find("{", a)))
        if lines:
            counted.append((item, len(lines)))
            cue |= lines
    total = {n for n, line in enumerate(code) if line.strip()} - test
    if file in WHOLE_FILES:  # the `impl` lines around its items too
        cue = total
    return len(total), len(cue), counted


def source(rev: str | None, path: str) -> str | None:
    """`path` at `rev` (None: the working tree), or None where it does not exist."""
    if rev is None:
        file = Path(ROOT, path)
        return file.read_text() if file.exists() else None
    shown = subprocess.run(["git", "-C", ROOT, "show", f"{rev}:{path}"],
                           capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def label(rev: str | None) -> str:
    """How `rev` is shown: as given, with its short hash where that differs."""
    if rev is None:
        return "working tree"
    found = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "--verify", "--quiet",
                            f"{rev}^{{commit}}"], capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit(f"count_rules.py: `{rev}` is no revision of {ROOT}")
    short = found.stdout.strip()
    return rev if short.startswith(rev) else f"{rev} ({short})"


def measure(rev: str | None, name: str, show_items: bool) -> list[tuple[str, int, int]]:
    """Prints and returns (file, code lines, cue/prior lines) of each file at `rev`."""
    rows = []
    print(f"== {name}")
    for file in FILES:
        text = source(rev, f"{SRC}/{file}")
        if text is None:
            continue
        total, cue, counted = classify(file, text)
        rows.append((file, total, cue))
        print(f"{file:12} {total:5} code lines, {cue:4} cue/prior")
        for item, n in counted if show_items else []:
            print(f"    {n:4}  {item}")
    total, cue = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'total':12} {total:5} code lines, {cue:4} cue/prior")
    return rows + [("total", total, cue)]


def main() -> int:
    show_items = "--items" in sys.argv
    revs = [a for a in sys.argv[1:] if a != "--items"] or [None]
    names = [label(rev) for rev in revs]  # every revision checked before any is measured
    table = [(name, measure(rev, name, show_items)) for rev, name in zip(revs, names)]
    print("\n| revision | file | code lines | cue/prior lines | share |")
    print("|---|---|---:|---:|---:|")
    for name, rows in table:
        for file, total, cue in rows:
            print(f"| {name} | {file} | {total} | {cue} | {100 * cue / max(total, 1):.1f} % |")
    first, last = table[0][1][-1][2], table[-1][1][-1][2]
    if len(table) > 1 and first:
        print(f"\ncue/prior lines, {table[-1][0]} against {table[0][0]}: "
              f"{last} / {first} = {100 * last / first:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
