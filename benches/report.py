#!/usr/bin/env python3
"""Write BENCHMARKS.md: every figure the issues set a target for, with the machine, command and
date of its run, from the results kept in benches/results/.

Usage:
  python3 benches/report.py           rewrite BENCHMARKS.md from benches/results/ (and from
                                      target/criterion, when it holds store or decider results)
  python3 benches/report.py --run     run every benchmark below first, then rewrite it
  python3 benches/report.py --run --only store,domain,projections,demo
                                      run only these parts (--only implies --run); the others
                                      keep their committed results

--run runs, in this order, printing the wall time of each step on stderr:
  store        cargo bench --bench store
  domain       cargo bench --bench domain
  projections  cargo bench --bench projections, with
                 KINERJA_BENCH_ONLY=rebuild KINERJA_BENCH_EVENTS=1000000 KINERJA_BENCH_RUNS=1
                 KINERJA_BENCH_ONLY=live KINERJA_BENCH_LIVE_SECS=30 KINERJA_BENCH_EVENTS=100000
                   (three runs; the median of their p99s is reported)
                 KINERJA_BENCH_ONLY=scorecard KINERJA_BENCH_EVENTS=100000
  demo         python3 benches/demo.py --runs 1 --rate 1000 --duration 60 (builds the release
               binary itself)

Results (committed, so that a clean checkout regenerates BENCHMARKS.md as it is):
  benches/results/store.json      the store and decider rows (label, median, target, verdict),
                                  per part with its date, machine, command and load average.
                                  Written whenever target/criterion holds that part's results,
                                  read back when it does not (a fresh clone).
  benches/results/projections-rebuild.txt, projections-live.txt, projections-scorecard.txt
                                  a header (`# key: value`: date UTC, machine, commit, command,
                                  load average) and the bench's stdout lines starting with
                                  `rebuild `, `latency ` or `live feed:` (`# run N` between runs).
  benches/results/demo.json, demo.md
                                  written by benches/demo.py.
A results file with a `source` field was transcribed by hand from an earlier write-up, not
written by a run; its rows say so.

BENCHMARKS.md: the machine, date and command of each part; the store and decider table; the read
side (rebuild, live feed, scorecard) and the demo city, each target beside its baseline measured
in the same run with the verdict; the demo's load output; then the hand-written history in
benches/NOTES.md, benches/PROJECTIONS.md and benches/DEMO.md (their titles demoted).
The machine is noisy (2 cores, shared): read medians and ratios.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRIT = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "criterion")
RESULTS = os.path.join(ROOT, "benches", "results")
STORE_JSON = os.path.join(RESULTS, "store.json")
DEMO_JSON = os.path.join(RESULTS, "demo.json")
DEMO_MD = os.path.join(RESULTS, "demo.md")
PARTS = ("store", "domain", "projections", "demo")

# The criterion groups of each part of store.json.
CRITERION_GROUPS = {
    "store": ("append_64_callers", "replay_1m", "verify_1m", "proofs"),
    "domain": ("deciders",),
}

# The three runs of benches/projections.rs: (results file, environment, runs).
PROJECTIONS = {
    "rebuild": ("projections-rebuild.txt",
                {"KINERJA_BENCH_ONLY": "rebuild", "KINERJA_BENCH_EVENTS": "1000000",
                 "KINERJA_BENCH_RUNS": "1"}, 1),
    "live": ("projections-live.txt",
             {"KINERJA_BENCH_ONLY": "live", "KINERJA_BENCH_LIVE_SECS": "30",
              "KINERJA_BENCH_EVENTS": "100000"}, 3),
    "scorecard": ("projections-scorecard.txt",
                  {"KINERJA_BENCH_ONLY": "scorecard", "KINERJA_BENCH_EVENTS": "100000"}, 1),
}
KEPT_PREFIXES = ("rebuild ", "latency ", "live feed:")
HEADER_KEYS = ("source", "note", "date", "machine", "commit", "command", "load average")
DEMO_COMMAND = ["benches/demo.py", "--runs", "1", "--rate", "1000", "--duration", "60"]


# ------------------------------------------------------------------------------------------------
# The machine and the run
# ------------------------------------------------------------------------------------------------

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


def load_average():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def now_utc(ts=None):
    t = (datetime.datetime.fromtimestamp(ts, datetime.timezone.utc) if ts is not None
         else datetime.datetime.now(datetime.timezone.utc))
    return t.strftime("%Y-%m-%d %H:%M UTC")


def git_commit():
    """The checked-out commit, abbreviated, marked when the tree has uncommitted changes."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


def run_step(name, cmd, env=None, keep=None):
    """Run one step from the repository's root, stderr passed through. With `keep` (line
    prefixes) stdout is echoed to stderr and its lines with those prefixes are returned; without,
    stdout is passed through. Prints the step's wall time on stderr; exits when it fails."""
    shown = " ".join(f"{k}={v}" for k, v in sorted((env or {}).items()) if k.startswith("KINERJA_BENCH"))
    print(f"report.py: {name}: {shown + ' ' if shown else ''}{' '.join(cmd)}", file=sys.stderr, flush=True)
    meta = {"date": now_utc(), "load_before": load_average()}
    full_env = None
    if env is not None:
        # Only this step's KINERJA_BENCH_* settings (PG_TAG, naming a database, passes through).
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("KINERJA_BENCH_") or k == "KINERJA_BENCH_PG_TAG"}
        full_env.update(env)
    start = time.monotonic()
    kept = []
    if keep:
        p = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, text=True, bufsize=1)
        for line in p.stdout:
            sys.stderr.write(line)
            if line.startswith(keep):
                kept.append(line.rstrip("\n"))
        rc = p.wait()
    else:
        rc = subprocess.run(cmd, cwd=ROOT, env=full_env).returncode
    meta["wall_secs"] = time.monotonic() - start
    meta["load_after"] = load_average()
    print(f"report.py: {name}: {meta['wall_secs']:.0f} s wall clock, exit status {rc}, load average "
          f"{meta['load_before']} before, {meta['load_after']} after", file=sys.stderr, flush=True)
    if rc != 0:
        raise SystemExit(f"report.py: {name} failed (exit status {rc}); results of earlier steps are kept")
    meta["lines"] = kept
    return meta


# ------------------------------------------------------------------------------------------------
# Store and deciders: criterion's results, or benches/results/store.json
# ------------------------------------------------------------------------------------------------

MISSING = []  # criterion benchmarks looked up and not found, for a warning


def median(bench_dir):
    """(median ns per iteration, elements per iteration or None) of one benchmark."""
    base = os.path.join(CRIT, bench_dir, "new")
    try:
        est = json.load(open(os.path.join(base, "estimates.json")))
        meta = json.load(open(os.path.join(base, "benchmark.json")))
    except FileNotFoundError:
        MISSING.append(bench_dir)
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


def store_rows():
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
        rows.append((f"{kind} proof, stored tree of 10,000,000 leaves (SQLite, pages in memory)",
                     fmt_time(f"proofs/sqlite_stored_{kind}"), "≤ 1 ms",
                     verdict(None if stored is None else stored <= 1e6)))
        rows.append(("… baseline: the same proof from a tree of 10,000,000 leaves in memory",
                     fmt_time(f"proofs/memory_{kind}"), "(baseline)", ""))
    return rows


def domain_rows():
    rows = []
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
    return rows


ROWS = {"store": store_rows, "domain": domain_rows}
CARGO = {"store": ["cargo", "bench", "--bench", "store"], "domain": ["cargo", "bench", "--bench", "domain"]}


def criterion_mtime(part):
    """The newest modification time of a part's criterion results, or None when it has none."""
    times = []
    for group in CRITERION_GROUPS[part]:
        for dirpath, _, files in os.walk(os.path.join(CRIT, group)):
            if os.path.basename(dirpath) == "new" and "estimates.json" in files:
                times.append(os.path.getmtime(os.path.join(dirpath, "estimates.json")))
    return max(times) if times else None


def load_json(path):
    try:
        return json.load(open(path))
    except FileNotFoundError:
        return None


def save_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


def store_part(part, saved, run=None):
    """One part of store.json: from criterion when it holds the part's results (with the run's
    metadata when this invocation ran it), else as saved."""
    mtime = criterion_mtime(part)
    if mtime is None:
        if saved is None:
            print(f"report.py: no {part} results in target/criterion nor in {STORE_JSON}", file=sys.stderr)
        return saved
    del MISSING[:]
    rows = [{"label": a, "median": b, "target": c, "verdict": d} for a, b, c, d in ROWS[part]()]
    if MISSING and (run is not None or saved is None or saved.get("rows") != rows):
        print(f"report.py: {part}: no criterion results for {', '.join(dict.fromkeys(MISSING))}",
              file=sys.stderr)
    if run is not None:
        return {"date": run["date"], "machine": machine(), "commit": git_commit(),
                "command": " ".join(CARGO[part]) + " (python3 benches/report.py --run)",
                "load_average": {"before": run["load_before"], "after": run["load_after"]},
                "wall_secs": round(run["wall_secs"]), "rows": rows}
    if saved is not None and saved.get("rows") == rows:
        return saved  # the same results: keep when and how they were measured
    return {"date": now_utc(mtime), "machine": machine(), "commit": "not recorded",
            "command": " ".join(CARGO[part]) + " (run outside report.py; date of its results)",
            "load_average": {"before": "not recorded", "after": "not recorded"}, "rows": rows}


def update_store_json(runs):
    """store.json brought up to date with target/criterion (and this invocation's runs)."""
    saved = load_json(STORE_JSON) or {"parts": {}}
    parts = {}
    for part in ("store", "domain"):
        p = store_part(part, saved["parts"].get(part), runs.get(part))
        if p is not None:
            parts[part] = p
    new = dict(saved, parts=parts)
    if new != saved:
        save_json(STORE_JSON, new)
    return new


# ------------------------------------------------------------------------------------------------
# Read side: benches/results/projections-*.txt
# ------------------------------------------------------------------------------------------------

def write_results_txt(path, title, env, runs):
    """A results file: header, then each run's kept lines (`# run N` between several runs)."""
    first, last = runs[0], runs[-1]
    if os.environ.get("KINERJA_BENCH_PG_TAG"):
        env = dict(env, KINERJA_BENCH_PG_TAG=os.environ["KINERJA_BENCH_PG_TAG"])
    command = " ".join(f"{k}={v}" for k, v in env.items()) + " cargo bench --bench projections"
    lines = [
        f"# kinerja benchmark results: benches/projections.rs, {title}, written by benches/report.py --run",
        f"# date: {first['date']}",
        f"# machine: {machine()}",
        f"# commit: {git_commit()}",
        f"# command: {command}",
        f"# load average: before {first['load_before']}, after {last['load_after']}",
    ]
    for i, r in enumerate(runs, 1):
        if len(runs) > 1:
            lines.append(f"# run {i}: {r['date']}, load average before {r['load_before']}, after "
                         f"{r['load_after']}, {r['wall_secs']:.0f} s")
        lines += r["lines"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write("\n".join(lines) + "\n")


def read_results_txt(path):
    """(header dict, [run lines]) of a results file; None when there is none."""
    try:
        text = open(path).read()
    except FileNotFoundError:
        return None
    header, runs = {}, []
    for line in text.splitlines():
        if line.startswith("# run "):
            runs.append([])
        elif line.startswith("# "):
            key, sep, value = line[2:].partition(": ")
            if sep and key in HEADER_KEYS:
                header[key] = value
        elif line.startswith(KEPT_PREFIXES):
            if not runs:
                runs.append([])
            runs[-1].append(line)
    return header, runs


DURATION = re.compile(r"^([\d.]+)(ns|µs|us|ms|s)$")
UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def duration(text):
    """Seconds from a Rust Debug duration (`7.812ms`, `146.2µs`, `1.2s`, `850ns`); None for `?`."""
    m = DURATION.match(text)
    return None if m is None else float(m.group(1)) * UNITS[m.group(2)]


def number(text):
    return None if text == "?" else int(text)


REBUILD = re.compile(r"^rebuild (.+?): median ([\d.]+) s, (\d+) events/s \((\d+) events(?:, ([\d.]+)× the read)?\)$")
LATENCY = re.compile(r"^latency (.+?): p50 (\S+)(?: p95 (\S+))? p99 (\S+) max (\S+) \((\d+|\?) (samples|calls)\)$")
LIVE = re.compile(r"^live feed: (\d+|\?) events received, (\d+|\?) commands never seen$")


def parse(lines):
    """{"rebuild": {name: {...}}, "latency": {what: {...}}, "live": {...}} of one run's lines."""
    out = {"rebuild": {}, "latency": {}, "live": None}
    for line in lines:
        m = REBUILD.match(line)
        if m:
            out["rebuild"][m.group(1)] = {"secs": float(m.group(2)), "rate": int(m.group(3)),
                                          "events": int(m.group(4)),
                                          "ratio": float(m.group(5)) if m.group(5) else None}
            continue
        m = LATENCY.match(line)
        if m:
            out["latency"][m.group(1)] = {"p50": duration(m.group(2)),
                                          "p95": duration(m.group(3)) if m.group(3) else None,
                                          "p99": duration(m.group(4)), "max": duration(m.group(5)),
                                          "n": number(m.group(6))}
            continue
        m = LIVE.match(line)
        if m:
            out["live"] = {"received": number(m.group(1)), "missed": number(m.group(2))}
            continue
        if not line.endswith(": no samples"):
            print(f"report.py: line not understood: {line}", file=sys.stderr)
    return out


def fmt_secs(s):
    if s is None:
        return "?"
    if s < 1e-4:
        return f"{s * 1e6:.0f} µs"
    if s < 1e-3:
        return f"{s * 1e3:.2f} ms"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def provenance(header):
    """The date and command cells of a results file's rows."""
    date = header.get("date", "?")
    if header.get("source"):
        date += " (transcribed)"
    return date, f"`{header.get('command', '?')}`"


def rebuild_rows(results):
    rows = []
    header, runs = results or ({}, [])
    got = parse(runs[0]) if runs else {"rebuild": {}}
    date, command = provenance(header)
    for backend, target in (("sqlite", 100_000), ("postgres", 50_000)):
        r = got["rebuild"]
        proj, read, commit = (r.get(f"{backend}/{n}") for n in ("projector", "read_log", "commit_only"))
        db = "SQLite" if backend == "sqlite" else "PostgreSQL"
        if proj is None:
            rows.append((f"rebuild of every projection, {db} (`{backend}/projector`)", "— (no result)", "", f"≥ {target:,} events/s",
                         verdict(None), date, command))
            continue
        base = []
        for name, b in (("read_log", read), ("commit_only", commit)):
            if b is not None:
                base.append(f"`{backend}/{name}` {b['secs']:.2f} s (the rebuild {proj['secs'] / b['secs']:.2f}× it)")
        rows.append((f"rebuild of every projection from {proj['events']:,} events, {db} (`{backend}/projector`)",
                     f"{proj['secs']:.2f} s = {proj['rate']:,} events/s", "; ".join(base) or "—",
                     f"≥ {target:,} events/s", verdict(proj["rate"] >= target), date, command))
    return rows


def live_rows(results):
    header, runs = results or ({}, [])
    date, command = provenance(header)
    parsed = [parse(r) for r in runs]

    def find(p, prefix):
        return next((v for k, v in p["latency"].items() if k.startswith(prefix)), None), \
            next((k for k in p["latency"] if k.startswith(prefix)), "")

    feed, rt, rates, missed = [], [], set(), []
    for p in parsed:
        f, key = find(p, "live/ack_to_feed_event")
        b, _ = find(p, "live/command_round_trip")
        if f is not None and f["p99"] is not None:
            feed.append(f["p99"])
            m = re.search(r"\((\d+)/s\)", key)
            rates.add(int(m.group(1)) if m else None)
            rt.append(b["p99"] if b else None)
            missed.append(p["live"]["missed"] if p["live"] else None)
    if not feed:
        return [("command acknowledged → live-feed event, p99", "— (no result)", "", "≤ 100 ms at 200 commands/s",
                 verdict(None), date, command)]
    med = statistics.median(feed)
    rate = rates.pop() if len(rates) == 1 else None
    known_rt = [x for x in rt if x is not None]
    secs = re.search(r"KINERJA_BENCH_LIVE_SECS=(\d+)", header.get("command", ""))
    what = (f"command acknowledged → live-feed event, {rate if rate else '?'} commands/s"
            f"{f' for {secs.group(1)} s' if secs else ''}, p99"
            + (f", median of {len(feed)} runs ({', '.join(fmt_secs(x) for x in feed)})" if len(feed) > 1 else ""))
    if any(m is None for m in missed):
        what += "; commands never seen: not recorded"
    else:
        what += f"; {sum(missed)} commands never seen"
    base = ("the command's own round trip, p99 "
            + (f"{fmt_secs(statistics.median(known_rt))}" if known_rt else "?")
            + (f" ({', '.join(fmt_secs(x) for x in rt)})" if len(rt) > 1 else ""))
    ok = med <= 0.100 and rate is not None and rate >= 200 and all(m == 0 for m in missed if m is not None)
    return [(what, fmt_secs(med), base, "≤ 100 ms at 200 commands/s", verdict(ok), date, command)]


def scorecard_rows(results):
    header, runs = results or ({}, [])
    date, command = provenance(header)
    got = parse(runs[0]) if runs else {"latency": {}}
    lat = got["latency"]
    rows = []
    backends = sorted({k.split("/")[1] for k in lat if k.startswith("scorecard/")},
                      key=lambda b: (b != "sqlite", b)) or ["sqlite"]
    for backend in backends:
        q, pk = lat.get(f"scorecard/{backend}/query"), lat.get(f"scorecard/{backend}/pk_lookup")
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        if q is None or q["p99"] is None:
            rows.append((f"scorecard of a random officer, {name}, p99", "— (no result)", "", "≤ 10 ms",
                         verdict(None), date, command))
            continue
        calls = f"{q['n']:,} calls" if q["n"] else "? calls"
        base = ("one `rm_officer` row by primary key: p99 " + fmt_secs(pk["p99"]) + f" (p50 {fmt_secs(pk['p50'])})"
                if pk else "—")
        rows.append((f"scorecard of a random officer of 6,001, {name}, p99 of {calls}",
                     f"{fmt_secs(q['p99'])} (p50 {fmt_secs(q['p50'])})", base, "≤ 10 ms",
                     verdict(q["p99"] <= 0.010), date, command))
        cached, uncached = lat.get(f"dashboard/{backend}/cached"), lat.get(f"dashboard/{backend}/uncached")
        if cached:
            rows.append((f"… a unit's dashboard from the cache, {name}, p99",
                         f"{fmt_secs(cached['p99'])} (p50 {fmt_secs(cached['p50'])})",
                         (f"read and parsed from the read model: p99 {fmt_secs(uncached['p99'])}"
                          f" (p50 {fmt_secs(uncached['p50'])})") if uncached else "—",
                         "(reference)", "", date, command))
    return rows


# ------------------------------------------------------------------------------------------------
# Demo city: benches/results/demo.json and demo.md
# ------------------------------------------------------------------------------------------------

def demo_rows(res):
    """(measurement, this build, baseline build or None, target, verdict) of demo.json."""
    this, base = res["this"], res.get("baseline")
    args, runs = res["args"], res["seed_runs"]

    def row(what, key, fmt, target, ok):
        b = base.get(key) if base else None
        return (what, fmt(this[key]), fmt(b) if b is not None else "", target,
                verdict(ok) if target else "")

    seed = res["seed_median_secs"]
    times = ", ".join(f"{r['secs']:.1f} s" for r in runs)
    return [
        (f"`kinerja seed --demo` (6,500 officers, fresh SQLite file), wall clock, median of {len(runs)} "
         f"run{'s' if len(runs) != 1 else ''} ({times})", f"{seed:.1f} s", "", "≤ 60 s", verdict(seed <= 60)),
        row(f"`kinerja load --rate {args['rate']:g} --duration {args['duration']}`: achieved rate", "achieved",
            lambda v: f"{v:,.0f} req/s", "1,000 req/s for 60 s",
            this["achieved"] >= 0.98 * 1000 and args["duration"] >= 60),
        row("… p99 latency, all endpoints", "p99", lambda v: f"{v:.1f} ms", "≤ 50 ms", this["p99"] <= 50),
        row("… errors", "errors", str, "0", this["errors"] == 0),
        row("server VmRSS right after the load", "rss_mb", lambda v: f"{v:.0f} MB", "≤ 200 MB",
            this["rss_mb"] <= 200),
        row("server CPU (user + system) per answered request", "server_cpu_ms", lambda v: f"{v:.2f} ms", "", None),
        row("load generator CPU per answered request", "load_cpu_ms", lambda v: f"{v:.3f} ms", "", None),
    ]


def demo_details():
    """demo.md from its seed output on: the load output tables (its head is the table above)."""
    try:
        text = open(DEMO_MD).read().strip()
    except FileNotFoundError:
        return []
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("Seed output")), None)
    if start is None:
        return [l for l in lines if not l.startswith("# ")]
    return lines[start:]


# ------------------------------------------------------------------------------------------------
# BENCHMARKS.md
# ------------------------------------------------------------------------------------------------

def table(head, rows):
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def load_text(la):
    if isinstance(la, dict):
        before, after = la.get("before"), la.get("after")
        return f"{before or '?'} before, {after or 'not recorded'} after"
    return la or "not recorded"


def write_benchmarks(store, projections, demo):
    # The provenance of each part: (part, results file, date, machine, commit, command, load average).
    prov = []
    for part, what in (("store", "`cargo bench --bench store`"), ("domain", "`cargo bench --bench domain`")):
        p = (store or {}).get("parts", {}).get(part)
        if p:
            src = p.get("source")
            prov.append((what + (f" ({src})" if src else ""), "benches/results/store.json", p["date"], p["machine"],
                         p.get("commit", "not recorded"), f"`{p['command']}`", load_text(p.get("load_average"))))
    for name, (fname, _, _) in PROJECTIONS.items():
        r = projections.get(name)
        if r:
            h = r[0]
            src = f" ({h['source'].split(' (')[0]})" if h.get("source") else ""
            prov.append((f"`benches/projections.rs`, {name}{src}", f"benches/results/{fname}", h.get("date", "?"),
                         h.get("machine", "?"), h.get("commit", "not recorded"), f"`{h.get('command', '?')}`",
                         h.get("load average", "not recorded")))
    if demo:
        runs = demo["seed_runs"]
        la = (f"{', '.join(r['load'] for r in runs)} before the seed; {demo['this']['la']} before and "
              f"{demo['this']['la_after']} after the load")
        prov.append(("`benches/demo.py`" + (f" ({demo['source']})" if demo.get("source") else ""),
                     "benches/results/demo.json", demo["date"], demo["machine"], demo.get("commit", "not recorded"),
                     f"`{demo['command']}`", la))
    machines = sorted({p[3] for p in prov})
    dates = sorted(p[2][:10] for p in prov)
    out = [
        "# Benchmarks",
        "",
        "Machine: " + (machines[0] if len(machines) == 1 else
                       f"each part's below ({len(machines)} machines, all of them 2 cores)"
                       if all(m.startswith("2 cores") for m in machines) else "each part's below") + ".  ",
        "Date: " + (f"{dates[0]} to {dates[-1]}" if dates and dates[0] != dates[-1] else
                    dates[0] if dates else "no results") + " (each part's below).  ",
        "Command: `python3 benches/report.py --run` runs `cargo bench --bench store`, `cargo bench --bench"
        " domain`, `cargo bench --bench projections` (the rebuild of 1,000,000 events, the live feed three"
        " times, the scorecard) and `python3 benches/demo.py --runs 1 --rate 1000 --duration 60`, keeps"
        " their results in benches/results/ and writes this file from them (`--only"
        " store,domain,projections,demo` runs a subset, the others keeping their results; without `--run`"
        " it only rewrites this file). The hand-written sections at the end (benches/NOTES.md,"
        " benches/PROJECTIONS.md, benches/DEMO.md) are the history and the explanations.",
        "",
    ]
    out += table(["part", "results", "date", "machine", "commit", "command", "load average"], prov)
    if any("transcribed" in p[0] for p in prov):
        out += ["", "A part marked *transcribed* was copied by hand from an earlier write-up into its results"
                " file, not written by a run of report.py; the next `--run` of that part replaces it."]
    out += [
        "",
        "## Store and deciders (benches/store.rs, benches/domain.rs)",
        "",
        "Figures are criterion medians; each target is checked against its baseline measured in the same"
        " run. The machine has 2 cores and is shared, so absolute figures move between runs; the ratios"
        " are the steadier signal. SQLite runs with `synchronous=FULL` (every acknowledged append is on"
        " disk).",
        "",
        "| measurement | median | target | |",
        "|---|---|---|---|",
    ]
    for part in ("store", "domain"):
        p = (store or {}).get("parts", {}).get(part)
        if p is None:
            out.append(f"| {part} benchmarks: no results | — | | |")
            continue
        out += [f"| {r['label']} | {r['median']} | {r['target']} | {r['verdict']} |" for r in p["rows"]]

    out += [
        "",
        "## Read side (benches/projections.rs)",
        "",
        "Each target beside its baseline measured in the same run (`rebuild …` and `latency …` lines of"
        " the bench, kept in benches/results/projections-*.txt).",
        "",
    ]
    out += table(["measurement", "figure", "baseline in the same run", "target", "", "date (UTC)", "command"],
                 rebuild_rows(projections.get("rebuild")) + live_rows(projections.get("live"))
                 + scorecard_rows(projections.get("scorecard")))

    out += ["", "## Demo city (benches/demo.py)", ""]
    if demo:
        out += [
            f"From benches/results/demo.json: `{demo['command']}` on {demo['date']}"
            + (f" ({demo['source']})" if demo.get("source") else "") + "; SQLite with `synchronous=FULL`,"
            " `kinerja seed --demo` into a fresh file, then `kinerja serve` on a copy of it and `kinerja load`"
            " (open loop) against it" + (", first with the baseline build, then with this one" if demo.get("baseline")
                                         else "") + ".",
            "",
        ]
        rows = demo_rows(demo)
        if demo.get("baseline"):
            head = ["measurement", "this build", "baseline build (`--baseline`)", "target", ""]
        else:
            head = ["measurement", "this build", "target", ""]
            rows = [r[:2] + r[3:] for r in rows]
        out += table(head, rows)
        details = demo_details()
        if details:
            out += ["", "From benches/results/demo.md:", ""] + details
    else:
        out.append("No results (benches/results/demo.json): run `python3 benches/report.py --run --only demo`.")

    for extra in ("NOTES.md", "PROJECTIONS.md", "DEMO.md"):
        path = os.path.join(ROOT, "benches", extra)
        if os.path.exists(path):
            text = open(path).read().strip()
            # Demote the file's own title under this page's.
            out += ["", text.replace("# ", "## ", 1) if text.startswith("# ") else text]
    text = "\n".join(out) + "\n"
    open(os.path.join(ROOT, "BENCHMARKS.md"), "w").write(text)
    return text


def main():
    ap = argparse.ArgumentParser(description="Write BENCHMARKS.md from benches/results/ (see the"
                                 " docstring of benches/report.py).")
    ap.add_argument("--run", action="store_true", help="run the benchmarks first")
    ap.add_argument("--only", help="comma list of parts to run: " + ",".join(PARTS) + " (implies --run)")
    args = ap.parse_args()
    todo = []
    if args.only is not None:
        todo = [p.strip() for p in args.only.split(",") if p.strip()]
        unknown = [p for p in todo if p not in PARTS]
        if unknown or not todo:
            ap.error(f"--only takes a comma list of {', '.join(PARTS)}; not {', '.join(unknown) or 'empty'}")
    elif args.run:
        todo = list(PARTS)

    runs = {}
    for part in ("store", "domain"):
        if part in todo:
            runs[part] = run_step(part, CARGO[part])
            update_store_json(runs)  # saved at once: a later step's failure keeps it
    if "projections" in todo:
        for name, (fname, env, n) in PROJECTIONS.items():
            done = [run_step(f"projections {name} (run {i + 1} of {n})" if n > 1 else f"projections {name}",
                             ["cargo", "bench", "--bench", "projections"], env=env, keep=KEPT_PREFIXES)
                    for i in range(n)]
            write_results_txt(os.path.join(RESULTS, fname), name, env, done)
    if "demo" in todo:
        run_step("demo", [sys.executable] + DEMO_COMMAND)

    store = update_store_json(runs)
    projections = {name: read_results_txt(os.path.join(RESULTS, fname))
                   for name, (fname, _, _) in PROJECTIONS.items()}
    projections = {k: v for k, v in projections.items() if v is not None}
    text = write_benchmarks(store, projections, load_json(DEMO_JSON))
    print(text, end="")


if __name__ == "__main__":
    main()
