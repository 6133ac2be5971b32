#!/usr/bin/env python3
"""Write BENCHMARKS.md from criterion's results under target/criterion.

Usage: python3 benches/report.py [--run]   (--run first runs `cargo bench --bench store` and
`cargo bench --bench domain`)

Each figure is the median of criterion's samples; each target is compared with its baseline
measured in the same run, as a ratio. The machine is noisy (2 cores): read medians and ratios.
"""
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRIT = os.path.join(ROOT, "target", "criterion")


def median(bench_dir):
    """(median ns per iteration, elements per iteration or None) of one benchmark."""
    base = os.path.join(CRIT, bench_dir, "new")
    try:
        est = json.load(open(os.path.join(base, "estimates.json")))
        meta = json.load(open(os.path.join(base, "benchmark.json")))
    except FileNotFoundError:
        return None, None
    elements = (meta.get("throughput") or {}).get("Elements")
    return est["median"]["point_estimate"], elements


def rate(bench_dir):
    ns, elements = median(bench_dir)
    if ns is None or not elements:
        return None
    return elements / (ns / 1e9)


def fmt_rate(r):
    return "—" if r is None else f"{r:,.0f} events/s"


def fmt_time(bench_dir):
    ns, _ = median(bench_dir)
    if ns is None:
        return "—"
    if ns < 1e6:
        return f"{ns / 1e3:,.1f} µs"
    return f"{ns / 1e6:,.1f} ms"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"


def verdict(ok):
    return "—" if ok is None else ("met" if ok else "**not met**")


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(open("/proc/meminfo").readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}"


def main():
    if "--run" in sys.argv:
        subprocess.run(["cargo", "bench", "--bench", "store"], cwd=ROOT, check=True)
        subprocess.run(["cargo", "bench", "--bench", "domain"], cwd=ROOT, check=True)
    rows = []
    disk = rate("append_64_callers/disk_fdatasync_per_64_events")
    rows.append(("the disk's ceiling for a durable group commit: one fdatasync per 64 events, no database",
                 fmt_rate(disk), "(baseline)", ""))
    for backend, target in (("sqlite", 30_000), ("postgres", 15_000)):
        gc = rate(f"append_64_callers/{backend}_group_commit")
        one = rate(f"append_64_callers/{backend}_one_tx_per_append")
        nom = rate(f"append_64_callers/{backend}_group_commit_no_merkle")
        rows.append((f"append, 64 callers × 1 event, {backend}: group commit", fmt_rate(gc),
                     f"≥ {target:,} events/s", verdict(None if gc is None else gc >= target)))
        rows.append((f"… vs one transaction per append ({fmt_rate(one)})", ratio(gc, one), "≥ 3×",
                     verdict(None if gc is None or one is None else gc / one >= 3)))
        rows.append((f"… Merkle tree cost: vs the store without it ({fmt_rate(nom)})", ratio(gc, nom),
                     "≥ 0.90× (≤ 10% cost)",
                     verdict(None if gc is None or nom is None else gc / nom >= 0.9)))
    for backend in ("sqlite", "postgres"):
        ra = rate(f"replay_1m/{backend}_read_all")
        ps = rate(f"replay_1m/{backend}_plain_select")
        rows.append((f"replay 1,000,000 events via read_all, {backend}", fmt_rate(ra), "", ""))
        rows.append((f"… vs plain SELECT scan through sqlx ({fmt_rate(ps)})", ratio(ra, ps), "≥ 0.6×",
                     verdict(None if ra is None or ps is None else ra / ps >= 0.6)))
        if backend == "sqlite":
            po = rate("replay_1m/sqlite_plain_select_c_api_owned")
            rows.append((f"… vs plain SELECT scan through SQLite's C API, which read_all uses, every"
                         f" column decoded into an owned value as the sqlx scan does ({fmt_rate(po)})",
                         ratio(ra, po), "≥ 0.6×",
                         verdict(None if ra is None or po is None else ra / po >= 0.6)))
            pc = rate("replay_1m/sqlite_plain_select_c_api")
            rows.append((f"… vs the same C-API scan reading the columns in place, nothing copied"
                         f" ({fmt_rate(pc)})", ratio(ra, pc), "(reference)", ""))
        v = rate(f"verify_1m/{backend}")
        rows.append((f"verify (chain walk) 1,000,000 events, {backend}", fmt_rate(v), "≥ 500,000 events/s",
                     verdict(None if v is None else v >= 500_000)))
    for kind in ("inclusion", "consistency"):
        stored, _ = median(f"proofs/sqlite_stored_{kind}")
        memory, _ = median(f"proofs/memory_{kind}")
        rows.append((f"{kind} proof, stored tree of 10,000,000 leaves (SQLite, pages in memory)",
                     fmt_time(f"proofs/sqlite_stored_{kind}"), "≤ 1 ms",
                     verdict(None if stored is None else stored <= 1e6)))
        rows.append((f"… baseline: the same proof from a tree of 10,000,000 leaves in memory",
                     fmt_time(f"proofs/memory_{kind}"), "(baseline)", ""))
    fold, _ = median("deciders/plan_fold")
    both, _ = median("deciders/plan_fold_and_decide")
    rows.append(("decide a realisation report on an SKP of 16 events, no I/O: fold the stream, then"
                 " decide (`plan::decide`)", fmt_time("deciders/plan_fold_and_decide"), "", ""))
    rows.append((f"… vs the fold alone, a fold without I/O ({fmt_time('deciders/plan_fold')})",
                 ratio(both, fold), "(baseline)", ""))
    rows.append(("… the decision alone, on the folded state", fmt_time("deciders/plan_decide_file_report"),
                 "", ""))
    rows.append(("… from the events' stored JSON: decode, fold, decide",
                 fmt_time("deciders/plan_decode_fold_and_decide"), "", ""))

    out = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}.  ",
        f"Date: {datetime.date.today().isoformat()}.  ",
        "Command: `python3 benches/report.py --run` (runs `cargo bench --bench store` and `cargo bench"
        " --bench domain`, then writes this file from `target/criterion` and the sections in"
        " benches/NOTES.md, benches/PROJECTIONS.md and benches/DEMO.md).",
        "",
        "Figures are criterion medians; each target is checked against its baseline measured in the same"
        " run. The machine has 2 cores and is shared, so absolute figures move between runs; the ratios"
        " are the steadier signal. SQLite runs with `synchronous=FULL` (every acknowledged append is on"
        " disk).",
        "",
        "| measurement | median | target | |",
        "|---|---|---|---|",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    for extra in ("NOTES.md", "PROJECTIONS.md", "DEMO.md"):
        path = os.path.join(ROOT, "benches", extra)
        if os.path.exists(path):
            text = open(path).read().strip()
            # Demote the file's own title under this page's.
            out += ["", text.replace("# ", "## ", 1) if text.startswith("# ") else text]
    open(os.path.join(ROOT, "BENCHMARKS.md"), "w").write("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
