#!/usr/bin/env python3
"""Checks that perf/results/README.md says what its CSV files hold.

Every CSV file the README names in backticks (a bare name such as `layer_cpu.csv`,
not a path in a command) must exist beside it. And for every section whose heading
names CSV files in backticks, e.g.
"## One MoE layer (`layer_cpu.csv`)":
  - every number in the section's tables must be found in, or computed from, those
    files at the precision it is printed with. A number is backed when it is
      * a value of a numeric column (or a number inside a text cell), possibly in
        other units (x 100 for a
        percentage, x 1e3 / 1e-3 / 1e-6 / 1e-9 for ms, MB, GB),
      * the median, mean, minimum or maximum of a numeric column over rows that
        agree on the text columns (repeats or runs of one configuration), or over
        rows that also agree on the integer columns,
      * the median over runs of the ratio between two variants measured in the
        same run (rows that differ in one text column, e.g. fp32 / bf16, and
        share a `run` or `pair` number),
      * or the ratio, or one minus the ratio, of two other numbers of the same
        table row (speed-ups and savings computed from the row's own times).
A cell may hold several numbers ("50.12 / 25.06", "3.01 (1.00-5.18)", "**18.6%**");
each is checked. Cells with words in them (labels such as "small (D 2048, 64
experts)") are not, nor are columns that quote a paper or a target (a header
with "report", "paper" or "target" in it). A mismatch prints the
table, the row and the README's value with the nearest value the files give, and
the script exits 1.

usage: perf/check_results.py [perf/results/README.md]
"""
import bisect
import csv
import os
import re
import statistics
import sys

SCALES = (1, 100, 1e3, 1e-3, 1e-6, 1e-9)
NUMBER = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?(?![\w.])")


def as_float(text):
    try:
        return float(text)
    except ValueError:
        return None


def candidates(path):
    """Every value the file backs, sorted."""
    rows = list(csv.DictReader(open(path, newline="")))
    if not rows:
        return []
    cols = list(rows[0].keys())
    numeric = [c for c in cols if all(as_float(r[c]) is not None for r in rows if r[c] != "")]
    text = [c for c in cols if c not in numeric]
    integer = [c for c in numeric if all(re.fullmatch(r"-?\d+", r[c]) for r in rows if r[c] != "")]
    values = [float(r[c]) for r in rows for c in numeric if r[c] != ""]
    # Numbers inside text cells ("100/80/50/40" speed classes, labels).
    values += [float(m.group(0).replace(",", "")) for r in rows for c in text
               for m in NUMBER.finditer(r[c] or "")]
    for keys in (text, text + integer):
        groups = {}
        for r in rows:
            groups.setdefault(tuple(r[c] for c in keys), []).append(r)
        for group in groups.values():
            for c in numeric:
                xs = [float(r[c]) for r in group if r[c] != ""]
                if xs:
                    values += [statistics.median(xs), statistics.mean(xs), min(xs), max(xs)]
    values += paired_ratios(rows, text, numeric, integer)
    return sorted(v * s for v in values for s in SCALES)


def paired_ratios(rows, text, numeric, integer):
    """Medians over runs of variant-to-variant ratios, both ways round."""
    runs = [c for c in integer if re.fullmatch(r"run|pair|repeat|seed", c)]
    if not runs:
        return []
    run = runs[0]
    out = []
    for variant in text:
        keys = [c for c in text + integer if c not in (variant, run)]
        groups = {}
        for r in rows:
            groups.setdefault(tuple(r[c] for c in keys), []).append(r)
        for group in groups.values():
            by = {}
            for r in group:
                by.setdefault(r[variant], {})[r[run]] = r
            names = list(by)
            for a in names:
                for b in names:
                    if a == b:
                        continue
                    for c in numeric:
                        ratios = [as_float(by[a][i][c]) / as_float(by[b][i][c])
                                  for i in by[a] if i in by[b] and by[a][i][c] != ""
                                  and by[b][i][c] != "" and as_float(by[b][i][c]) != 0]
                        if ratios:
                            out.append(statistics.median(ratios))
    return out


UNITS = re.compile(r"\b(ms|s|MB|GB|GB/s|MiB|TFLOP/s|GFLOP/s|tok/s|x)\b")


def is_numeric_cell(cell):
    """Numbers, separators and units only."""
    rest = UNITS.sub("", NUMBER.sub("", cell.replace("**", "")))
    return cell.strip() != "" and re.fullmatch(r"[\s/()–\-−×%~≈,+]*", rest) is not None


def numbers(cell):
    """(value, decimals) of each number in a table cell."""
    out = []
    for m in NUMBER.finditer(cell.replace("**", "")):
        token = m.group(0).replace("−", "-").replace(",", "")
        decimals = len(token.split(".")[1]) if "." in token else 0
        out.append((float(token), decimals))
    return out


def near(sorted_values, x, decimals):
    tol = 0.5 * 10 ** -decimals * (1 + 1e-9)
    i = bisect.bisect_left(sorted_values, x - tol)
    if i < len(sorted_values) and sorted_values[i] <= x + tol:
        return True, sorted_values[i]
    # the nearest, for the message
    best = min(sorted_values, key=lambda v: abs(v - x)) if sorted_values else None
    return False, best


def check(readme):
    here = os.path.dirname(os.path.abspath(readme))
    text = open(readme).read()
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    failures, checked = [], 0
    for name in sorted(set(re.findall(r"`([^`/\s]+\.csv)`", text))):
        if not os.path.exists(os.path.join(here, name)):
            failures.append(f"{readme}: names `{name}`, which does not exist")
    for section in sections:
        heading, body = (section.split("\n", 1) + [""])[:2]
        files = re.findall(r"`([^`]+\.csv)`", heading)
        if not files:
            continue
        values = []
        for f in files:
            path = os.path.join(here, f)
            if os.path.exists(path):  # (a missing one is reported above)
                values += candidates(path)
        values.sort()
        header = None
        for line in body.split("\n"):
            if not line.startswith("|"):
                header = None  # a table ends at its first non-table line
                continue
            if re.fullmatch(r"[|\s:-]+", line):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
                continue
            checked_cells = [c for i, c in enumerate(cells) if is_numeric_cell(c) and not (
                i < len(header) and re.search(r"report|paper|target", header[i], re.I))]
            row_numbers = [n for c in checked_cells for n in numbers(c)]
            position = -1  # this number's index in row_numbers
            for cell in checked_cells:
                for x, decimals in numbers(cell):
                    position += 1
                    checked += 1
                    ok, nearest = near(values, x, decimals)
                    if not ok:  # computed from two other numbers of the row?
                        tol = 0.5 * 10 ** -decimals * (1 + 1e-9)
                        others = [v for j, (v, _) in enumerate(row_numbers)
                                  if v != 0 and j != position]
                        ok = any(abs(a / b - x) <= tol or abs((1 - a / b) * 100 - x) <= tol
                                 for i, a in enumerate(others) for j, b in enumerate(others)
                                 if i != j)
                    if not ok:
                        failures.append(f"## {heading}\n  row: {line.strip()}\n  README {x:g} "
                                        f"(printed with {decimals} decimals), nearest in "
                                        f"{', '.join(files)}: {nearest}")
    return checked, failures


def main():
    readme = sys.argv[1] if len(sys.argv) > 1 else "perf/results/README.md"
    checked, failures = check(readme)
    for f in failures:
        print(f)
    print(f"check_results: {checked} numbers checked, {len(failures)} not backed by their CSV")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
