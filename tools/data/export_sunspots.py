#!/usr/bin/env python3
"""Export the yearly sunspot numbers shipped with statsmodels to data/sunspots.csv.

    pip install statsmodels
    python3 tools/data/export_sunspots.py [--out data/sunspots.csv]

Run once; the CSV is committed so that the demo (examples/train_sunspots.c)
needs no Python. The header comment names the source, copied from the
dataset's own COPYRIGHT / SOURCE text.
"""

import argparse
import os

import statsmodels
import statsmodels.datasets.sunspots as sunspots


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "data", "sunspots.csv"))
    args = ap.parse_args()
    df = sunspots.load_pandas().data  # columns YEAR, SUNACTIVITY
    source = " ".join(sunspots.SOURCE.split()).rstrip(".")
    copyright_ = " ".join(sunspots.COPYRIGHT.split())
    with open(args.out, "w", encoding="ascii", newline="\n") as f:
        f.write("# %s (%d rows), from statsmodels %s: statsmodels.datasets.sunspots. "
                "%s Source: %s. Exported by tools/data/export_sunspots.py.\n"
                % (" ".join(sunspots.TITLE.split()), len(df), statsmodels.__version__,
                   copyright_, source))
        f.write("year,value\n")
        for year, value in zip(df["YEAR"], df["SUNACTIVITY"]):
            f.write("%d,%s\n" % (int(year), repr(float(value))))
    print("wrote %d rows to %s" % (len(df), os.path.normpath(args.out)))


if __name__ == "__main__":
    main()
