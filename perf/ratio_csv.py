"""Shared by the *_ratios.py scripts: one benchmark run's rows written as a CSV."""
import csv


def write_rows(dst, rows):
    """Writes dicts of one shape to dst, the first row's keys as the header."""
    with open(dst, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
