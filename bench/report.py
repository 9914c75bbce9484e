"""Table, CSV and plot for bench/run.sh (benchmark, not a test).

Reads the raw measurement lines (peer,variant,B,T,F,U,reps,wall_ns,cpu_ns
from gru_bench, gru_onednn_bench and peers.py) and the machine's roofline
(key,value lines from gru_roofline), and

  * writes OUT_CSV: every measurement with ns_per_step (from the clock that
    GRU_BENCH_CLOCK names: "cpu", the process CPU time, by default, which
    other processes on a shared machine disturb less; or "wall"), gflops
    and its roofline columns (weight_bytes, level, roofline_ns, bound,
    pct_roofline);
  * prints the tables: ns/step at batch 1 (libgru, each peer, the best
    peer, libgru / best peer, roofline, % of roofline) and GFLOP/s at the
    larger batches;
  * draws OUT_PNG (when matplotlib is importable).

Roofline of a shape (a lower bound on the time of one step of the batch):
  FLOPs   = B * 2 * 3U * (F + U)   (x W and h R; gates not counted)
  t_fma   = FLOPs / FMA peak
  bytes   = 4 * (3U*U + bias) per step, bias = 3U (v1) or 6U (reset_after):
            the recurrent kernel and bias, which every step must read, from
            the smallest cache level that holds them (L1, L2, L3 by
            capacity, else DRAM); plus 4 * 3U*F / T: the input kernel, read
            at least once per call (the input projections of all T steps
            are one matrix product, so it need not be read every step),
            at the bandwidth of the level that holds all the weights
  t_mem   = bytes / read bandwidth of those levels
  roofline = max(t_fma, t_mem); bound = FMA or the level;
  % of roofline = roofline / measured time * 100.
The CSV also has roofline_all_ns and level_all: the simpler model in which
all weights (3U*F + 3U*U + bias floats) are read every step from the level
that holds them all. It is not a bound: with the input projection done
once per call, oneDNN and ONNX Runtime beat it at U = 512.

Usage: python3 bench/report.py RAW_CSV ROOFLINE_CSV OUT_CSV OUT_PNG
"""
import csv
import os
import sys


def load_machine(path):
    m = {}
    for line in open(path):
        k, _, v = line.strip().partition(",")
        if k:
            m[k] = v
    return m


def family(peer):
    """Column a peer goes in: libgru, onednn, onnxruntime, torch, tf-keras."""
    if peer.startswith("libgru-t"):
        return "libgru-mt"  # libgru on a pool of threads (gru_bench -t N)
    for f in ("libgru", "onednn", "onnxruntime", "torch", "tf-keras"):
        if peer.startswith(f):
            return f
    return peer


FAMILIES = ("onednn", "onnxruntime", "torch", "tf-keras")


def level_of(machine, nbytes):
    for lv in ("L1", "L2", "L3"):
        if nbytes <= int(machine["cache_%s_bytes" % lv]):
            return lv
    return "DRAM"


def roofline(machine, variant, B, T, F, U):
    """(recurrent bytes, their level, roofline ns, bound, all-weights level,
    all-weights roofline ns)."""
    peak = float(machine["fma_peak_gflops"]) * 1e9
    bw = lambda lv: float(machine["bw_%s_gbs" % lv]) * 1e9
    rbytes = 4 * (3 * U * U + (6 * U if variant == "reset_after" else 3 * U))
    kbytes = 4 * 3 * U * F
    lv_r, lv_all = level_of(machine, rbytes), level_of(machine, rbytes + kbytes)
    t_fma = B * 2.0 * 3 * U * (F + U) / peak
    t_mem = rbytes / bw(lv_r) + kbytes / T / bw(lv_all)
    t_all = (rbytes + kbytes) / bw(lv_all)
    return (rbytes, lv_r, max(t_fma, t_mem) * 1e9, "FMA" if t_fma >= t_mem else lv_r, lv_all,
            max(t_fma, t_all) * 1e9)


def main():
    raw, mfile, out_csv, out_png = sys.argv[1:5]
    machine = load_machine(mfile)
    clock = os.environ.get("GRU_BENCH_CLOCK", "cpu")
    rows = []
    for r in csv.DictReader(open(raw)):
        if not r.get("peer") or r["peer"].startswith("#"):
            continue
        for k in ("B", "T", "F", "U", "reps"):
            r[k] = int(r[k])
        for k in ("wall_ns", "cpu_ns"):
            r[k] = float(r[k])
        # threaded runs: wall time (process CPU time adds up the threads)
        mt = r["peer"].startswith("libgru-t")
        r["ns_per_step"] = r["cpu_ns" if clock == "cpu" and not mt else "wall_ns"]
        r["gflops"] = round(r["B"] * 2.0 * 3 * r["U"] * (r["F"] + r["U"]) / r["ns_per_step"], 3)
        rb, lv, rl, bound, lv_all, rl_all = roofline(machine, r["variant"], r["B"], r["T"],
                                                      r["F"], r["U"])
        r.update(recurrent_bytes=rb, level=lv, roofline_ns=round(rl, 1), bound=bound,
                 pct_roofline=round(100.0 * rl / r["ns_per_step"], 1), level_all=lv_all,
                 roofline_all_ns=round(rl_all, 1))
        rows.append(r)
    # several runs of a peer (bench/run.sh, GRU_BENCH_RUNS): keep each
    # shape's best median
    best = {}
    for r in rows:
        k = (r["peer"], r["variant"], r["B"], r["T"], r["F"], r["U"])
        if k not in best or r["ns_per_step"] < best[k]["ns_per_step"]:
            best[k] = r
    rows = list(best.values())
    cols = ["peer", "variant", "B", "T", "F", "U", "ns_per_step", "gflops", "reps", "wall_ns",
            "cpu_ns", "recurrent_bytes", "level", "roofline_ns", "bound", "pct_roofline",
            "level_all", "roofline_all_ns"]
    with open(out_csv, "w", newline="") as fp:
        w = csv.DictWriter(fp, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)

    print("machine (one core): FMA peak %.1f GFLOP/s (%s); read bandwidth "
          "L1 %.0f, L2 %.0f, L3 %.0f, DRAM %.1f GB/s" % (
              float(machine["fma_peak_gflops"]), machine.get("isa", "?"),
              *(float(machine["bw_%s_gbs" % lv]) for lv in ("L1", "L2", "L3", "DRAM"))))
    peers = sorted({r["peer"] for r in rows})
    print("peers: " + ", ".join(peers))
    print("times: median %s time per call / T" % ("process CPU" if clock == "cpu" else "wall"))
    by = {}
    for r in rows:
        by[(family(r["peer"]), r["variant"], r["B"], r["U"])] = r
    variants = [v for v in ("v1", "reset_after") if any(r["variant"] == v for r in rows)]
    Us = sorted({r["U"] for r in rows})
    Bs = sorted({r["B"] for r in rows})
    T = rows[0]["T"] if rows else 0

    def cell(key, field, fmt):
        r = by.get(key)
        return fmt % r[field] if r else "-"

    if 1 in Bs:
        print("\nbatch 1, T = %d, F = U, float32, one thread: ns per step (lower is better)" % T)
        print("v1 = reset_after False (libgru: hard_sigmoid; oneDNN gru, ORT lbr 0, Keras v1)\n"
              "reset_after = True (sigmoid; oneDNN lbr_gru, ORT lbr 1, PyTorch, Keras)")
        hdr = "%-11s %4s %9s %9s %9s %9s %9s %9s %7s %9s %5s %6s %9s %8s" % (
            "variant", "U", "libgru", "oneDNN", "ORT", "PyTorch", "TF-Keras", "best peer",
            "ratio", "roofline", "bound", "%roof", "libgru 2T", "best/2T")
        print(hdr)
        for v in variants:
            for U in [u for u in Us if any((f, v, 1, u) in by for f in ("libgru",) + FAMILIES)]:
                ours = by.get(("libgru", v, 1, U))
                peer_ns = [by[(f, v, 1, U)]["ns_per_step"] for f in FAMILIES if (f, v, 1, U) in by]
                best = min(peer_ns) if peer_ns else None
                mt = by.get(("libgru-mt", v, 1, U))
                print("%-11s %4d %9s %9s %9s %9s %9s %9s %7s %9s %5s %6s %9s %8s" % (
                    v, U, cell(("libgru", v, 1, U), "ns_per_step", "%.0f"),
                    *(cell((f, v, 1, U), "ns_per_step", "%.0f") for f in FAMILIES),
                    "%.0f" % best if best else "-",
                    "%.2fx" % (ours["ns_per_step"] / best) if ours and best else "-",
                    cell(("libgru", v, 1, U), "roofline_ns", "%.0f"),
                    cell(("libgru", v, 1, U), "bound", "%s"),
                    cell(("libgru", v, 1, U), "pct_roofline", "%.1f"),
                    cell(("libgru-mt", v, 1, U), "ns_per_step", "%.0f"),
                    "%.2fx" % (best / mt["ns_per_step"]) if mt and best else "-"))
        print("ratio = libgru / best peer (below 1: libgru is faster); roofline = max(FLOPs / FMA"
              " peak, recurrent weight bytes / bandwidth of the level they fit in (+ input kernel"
              " / T)); bound = which term wins; %roof = roofline / libgru time; libgru 2T ="
              " two threads (wall time), best/2T = how many times faster than the best"
              " single-thread peer")
    for B in [b for b in Bs if b > 1]:
        print("\nbatch %d, T = %d: GFLOP/s (higher is better; FLOPs = B*T*2*3U*(F+U))" % (B, T))
        print("%-11s %4s %8s %8s %8s %8s %8s %8s %7s %9s %5s %6s %9s %7s" % (
            "variant", "U", "libgru", "oneDNN", "ORT", "PyTorch", "TF-Keras", "best peer",
            "ratio", "roofline", "bound", "%roof", "libgru 2T", "2T/1T"))
        for v in variants:
            for U in [u for u in Us if any((f, v, B, u) in by for f in ("libgru",) + FAMILIES)]:
                ours = by.get(("libgru", v, B, U))
                peer_g = [by[(f, v, B, U)]["gflops"] for f in FAMILIES if (f, v, B, U) in by]
                best = max(peer_g) if peer_g else None
                rl = "-"
                if ours:
                    rl = "%.1f" % (ours["gflops"] * ours["ns_per_step"] / ours["roofline_ns"])
                mt = by.get(("libgru-mt", v, B, U))
                print("%-11s %4d %8s %8s %8s %8s %8s %8s %7s %9s %5s %6s %9s %7s" % (
                    v, U, cell(("libgru", v, B, U), "gflops", "%.1f"),
                    *(cell((f, v, B, U), "gflops", "%.1f") for f in FAMILIES),
                    "%.1f" % best if best else "-",
                    "%.2fx" % (ours["gflops"] / best) if ours and best else "-", rl,
                    cell(("libgru", v, B, U), "bound", "%s"),
                    cell(("libgru", v, B, U), "pct_roofline", "%.1f"),
                    cell(("libgru-mt", v, B, U), "gflops", "%.1f"),
                    "%.2fx" % (mt["gflops"] / ours["gflops"]) if mt and ours else "-"))
        print("ratio = libgru / best peer GFLOP/s (above 1: libgru is faster); roofline in GFLOP/s;"
              " libgru 2T = two threads (wall time), 2T/1T its speed-up")
    print("\nwrote %s" % out_csv)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not importable: no plot)")
        return
    fig, axes = plt.subplots(1, len(Bs), figsize=(6 * len(Bs), 5), squeeze=False)
    styles = {"v1": "-", "reset_after": "--"}
    for ax, B in zip(axes[0], Bs):
        field = "ns_per_step" if B == 1 else "gflops"
        for peer in peers:
            for v in variants:
                pts = sorted((r["U"], r[field]) for r in rows
                             if r["peer"] == peer and r["variant"] == v and r["B"] == B)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], styles[v], marker="o",
                            lw=2.5 if peer.startswith("libgru") else 1.2,
                            label="%s %s" % (peer, v))
        for v in variants[:1]:
            pts = sorted((r["U"], r["roofline_ns"]) for r in rows
                         if r["peer"].startswith("libgru") and r["variant"] == v and r["B"] == B)
            if pts:
                if B == 1:
                    ys = [p[1] for p in pts]
                else:
                    ys = [B * 2.0 * 3 * U * (U + U) / ns for U, ns in pts]  # F = U
                ax.plot([p[0] for p in pts], ys, ":", color="k", lw=2, label="roofline")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("units U (= input size F), T = %d" % T)
        ax.set_ylabel("ns per step (lower is better)" if B == 1 else
                      "GFLOP/s (higher is better)")
        ax.set_title("batch %d, float32, one thread" % B)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    print("wrote %s" % out_png)


if __name__ == "__main__":
    main()
