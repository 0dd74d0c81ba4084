#!/usr/bin/env python3
"""The largest C++ functions of the tree, by NLOC (lines of code, not counting blank and comment lines).

A small brace-matching reader, no third-party tool: comments, string and character literals and
preprocessor lines are blanked, then every `{ ... }` at namespace or class scope whose head ends like
a function's (a parameter list, then qualifiers, a trailing return type or a constructor's
initialiser list) is one function, from its head's first line to its closing brace. Lambdas and local
classes count towards the function that holds them. Its figures are close to lizard's NLOC (the
README's earlier figures), not equal: lizard also splits out some nested functions.

Usage: python3 scripts/largest_functions.py [--top N] [--root DIR] [FOLDER ...]
       (default folders: memmodel webhook support; prints NLOC, name, file:line, then the count)
"""
import argparse
import os
import re
import sys

SOURCE_ENDINGS = (".cpp", ".cc", ".h", ".hpp")


def blank_out(text):
    """The text with comments, literals and preprocessor lines replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if at_line_start and c == "#":  # a preprocessor line, with its continuations
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        raw = re.match(r'(?:u8|u|U|L)?R"([^(\s]{0,16})\(', text[i:i + 24])
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = text.find(")" + raw.group(1) + '"', i + raw.end())
            end = n if close < 0 else close + len(raw.group(1)) + 2
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1:end - 1]) + '"')
            i = end
            continue
        if c in "\"'" and not (c == "'" and i > 0 and text[i - 1].isalnum()):  # 1'000 is a digit separator
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j]) + c)
            i = j + 1
            continue
        if c == "\n":
            at_line_start = True
        out.append(c)
        i += 1
    return "".join(out)


CONTAINER = re.compile(r"\b(namespace|class|struct|union|enum)\b[^()]*$|\bextern\s*\"\s*\"\s*$", re.S)
# A head ends with ')' and then qualifiers, a trailing return type, or a constructor's initialiser list.
FUNCTION_TAIL = re.compile(
    r"\)\s*(?:const|noexcept(?:\([^()]*\))?|override|final|mutable|volatile|&&?|\s)*"
    r"(?:->\s*[\w:<>,\s*&]+)?\s*(?::\s*[\w:]+\s*[({].*)?$", re.S)
CONTROL = re.compile(r"^\s*(?:if|for|while|switch|catch|do|else|return)\b")


def matching_brace(text, open_i):
    depth = 0
    for i in range(open_i, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text) - 1


def function_name(head):
    """`Quantity::parse` from `Expected<Quantity> Quantity::parse(std::string_view text) const`."""
    depth, first_paren = 0, None
    for i, c in enumerate(head):  # the parameter list: the first '(' at template depth 0
        if c == "<":
            depth += 1
        elif c == ">":
            depth = max(0, depth - 1)
        elif c == "(" and depth == 0:
            first_paren = i
            break
    if first_paren is None:
        return None
    before = head[:first_paren].rstrip()
    op = re.search(r"((?:[\w]+::)*operator\s*(?:\(\)|[^\w\s(]+|\w[\w\s:<>]*))$", before)
    if op:
        return re.sub(r"\s+", " ", op.group(1)).strip()
    m = re.search(r"((?:~?[\w]+(?:<[^<>]*>)?::)*~?[\w]+)$", before)
    return m.group(1) if m else None


def functions_in(path, rel):
    text = blank_out(open(path, encoding="utf-8", errors="replace").read())
    lines = text.split("\n")
    line_of = []
    for number, line in enumerate(lines, start=1):
        line_of.extend([number] * (len(line) + 1))
    found = []

    def walk(start, end, scope):
        head_start = start
        i = start
        while i < end:
            c = text[i]
            if c in ";}":
                head_start = i + 1
            elif c == "{":
                head = text[head_start:i]
                close = matching_brace(text, i)
                stripped = head.strip()
                if CONTAINER.search(stripped) and "=" not in stripped.split("{")[0].split("(")[0]:
                    kind = re.search(r"\b(namespace|class|struct|union|enum)\b", stripped)
                    inner = scope
                    if kind and kind.group(1) in ("class", "struct", "union"):
                        name = re.search(r"\b(?:class|struct|union)\s+(?:\[\[[^\]]*\]\]\s*)?(\w+)", stripped)
                        inner = scope + [name.group(1)] if name else scope
                    walk(i + 1, close, inner)
                elif FUNCTION_TAIL.search(stripped) and not CONTROL.match(stripped) and "=" not in re.sub(
                        r"\([^()]*\)|operator\s*\S+|<[^<>]*>", "", stripped.split("(")[0]):
                    name = function_name(stripped)
                    if name:
                        first = line_of[head_start + len(head) - len(head.lstrip())]
                        last = line_of[close]
                        nloc = sum(1 for k in range(first - 1, last) if lines[k].strip())
                        qualified = "::".join(scope + [name]) if scope and "::" not in name else name
                        found.append((nloc, qualified, rel, first))
                # else: an initialiser, a lambda at namespace scope or anything else: skipped whole
                i = close
                head_start = close + 1
            i += 1

    walk(0, len(text), [])
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", default=["memmodel", "webhook", "support"])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--root", default=".")
    args = parser.parse_args()
    everything = []
    for folder in args.folders:
        for dirpath, _, files in os.walk(os.path.join(args.root, folder)):
            for f in sorted(files):
                if f.endswith(SOURCE_ENDINGS):
                    path = os.path.join(dirpath, f)
                    everything.extend(functions_in(path, os.path.relpath(path, args.root)))
    everything.sort(key=lambda r: (-r[0], r[1]))
    for nloc, name, rel, line in everything[:args.top]:
        print(f"{nloc:5d}  {name}  {rel}:{line}")
    print(f"functions: {len(everything)}, median NLOC "
          f"{sorted(r[0] for r in everything)[len(everything) // 2] if everything else 0}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
