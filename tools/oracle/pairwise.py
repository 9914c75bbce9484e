"""Small deterministic greedy pairwise (2-way) covering-array generator.

No external dependencies beyond the standard library. The algorithm is an
AETG-style greedy: while some pair of (option, value) x (option, value) is
uncovered, build a number of candidate rows, each seeded with one uncovered
pair and completed option by option (in a random order) with the value that
covers the most still-uncovered pairs; keep the best candidate.

    factors = {"a": [0, 1], "b": ["x", "y", "z"], ...}   # ordered dict
    rows = generate(factors, seed=1)       # list of dicts option -> value
    missing = check(factors, rows)         # [] when every pair is covered
"""

import itertools
import random


def _all_pairs(sizes):
    """Every pair ((i, vi), (j, vj)) with i < j, as value indices."""
    pairs = set()
    for i, j in itertools.combinations(range(len(sizes)), 2):
        for vi in range(sizes[i]):
            for vj in range(sizes[j]):
                pairs.add((i, vi, j, vj))
    return pairs


def _row_pairs(row):
    n = len(row)
    return {(i, row[i], j, row[j]) for i in range(n) for j in range(i + 1, n)}


def generate(factors, seed=0, candidates=40):
    """Return a list of rows (dicts) covering every 2-way combination."""
    names = list(factors)
    values = [list(factors[n]) for n in names]
    sizes = [len(v) for v in values]
    n = len(names)
    rng = random.Random(seed)
    uncovered = _all_pairs(sizes)
    rows_idx = []
    while uncovered:
        ordered = sorted(uncovered)
        best_row, best_gain = None, -1
        for _ in range(candidates):
            i, vi, j, vj = ordered[rng.randrange(len(ordered))]
            row = [None] * n
            row[i], row[j] = vi, vj
            rest = [k for k in range(n) if row[k] is None]
            rng.shuffle(rest)
            for k in rest:
                best_v, best_c = [], -1
                for v in range(sizes[k]):
                    c = 0
                    for m in range(n):
                        if row[m] is None or m == k:
                            continue
                        key = (m, row[m], k, v) if m < k else (k, v, m, row[m])
                        if key in uncovered:
                            c += 1
                    if c > best_c:
                        best_v, best_c = [v], c
                    elif c == best_c:
                        best_v.append(v)
                row[k] = rng.choice(best_v)
            gain = len(_row_pairs(row) & uncovered)
            if gain > best_gain:
                best_row, best_gain = row, gain
        rows_idx.append(best_row)
        uncovered -= _row_pairs(best_row)
    return [{names[k]: values[k][r[k]] for k in range(n)} for r in rows_idx]


def check(factors, rows):
    """Return the list of uncovered pairs (empty list = full 2-way coverage).

    Each missing pair is reported as ((name_a, value_a), (name_b, value_b)).
    Rows may hold extra keys; values are compared with ==.
    """
    names = list(factors)
    missing = []
    for a, b in itertools.combinations(names, 2):
        seen = {(repr(r[a]), repr(r[b])) for r in rows}
        for va in factors[a]:
            for vb in factors[b]:
                if (repr(va), repr(vb)) not in seen:
                    missing.append(((a, va), (b, vb)))
    return missing


def lower_bound(factors):
    """Product of the two largest option sizes (no array can be smaller)."""
    s = sorted((len(v) for v in factors.values()), reverse=True)
    return s[0] * s[1] if len(s) > 1 else (s[0] if s else 0)


if __name__ == "__main__":
    f = {"a": [0, 1], "b": [0, 1, 2], "c": list(range(6)), "d": list(range(4)),
         "e": [0, 1]}
    rows = generate(f, seed=3)
    print(len(rows), "rows; lower bound", lower_bound(f), "; missing", check(f, rows))
