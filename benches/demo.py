#!/usr/bin/env python3
"""Measure the demo-city targets and write benches/results/demo.json and benches/results/demo.md
(both read by benches/report.py for BENCHMARKS.md; benches/DEMO.md is hand-written history).

Usage: python3 benches/demo.py [--runs N] [--rate R] [--duration D] [--concurrency C]
                               [--baseline BIN] [--no-build] [--out DIR]
       python3 benches/demo.py --render [--out DIR]   (rewrite DIR/demo.md from DIR/demo.json,
                                                       running nothing)

1. `cargo build --release` (skipped with --no-build).
2. N times (default 2): `kinerja seed --demo` (6,500 officers) into a fresh SQLite file, timed
   with /usr/bin/time -v (wall clock, peak RSS); the median is reported.
3. `kinerja serve` on a copy of the last seeded file; wait until /readyz reports the projector
   caught up.
4. `kinerja load --rate R --duration D` with the seed's tokens file (always this build's load
   generator, open loop).
5. The server's VmRSS (and VmHWM) from /proc/PID/status right after the load, and again after
   15 s (the server returns free memory every 10 s); the server's CPU time (user + system, from
   /proc/PID/stat) over the load and the load generator's (its rusage), each per answered
   request: on a shared machine less noisy than the achieved rate.
With --baseline BIN, steps 3 to 5 run first with that binary (e.g. a build of main) on its own
copy of the same seeded file, and the table shows both with their ratio.

Output (DIR is --out, default benches/results): DIR/demo.json holds every figure measured, with
the date (UTC), machine, command and load averages; DIR/demo.md the same as text (a table and
the load generator's output). Give --out a scratch directory for trial runs, so as not to
replace the committed results.
Targets (issue 7): seed <= 60 s; 1,000 req/s for 60 s with p99 <= 50 ms and no errors; server
RSS <= 200 MB after it.
"""
import argparse
import datetime
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "kinerja")

# The same machine, commit and load-average descriptions as the other results files.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import git_commit, load_average, machine  # noqa: E402

PORT = 18181


def seed(workdir, run, concurrency):
    db = os.path.join(workdir, f"demo-{run}.db")
    tokens = os.path.join(workdir, "tokens.tsv")
    cmd = ["/usr/bin/time", "-v", BIN, "seed", "--demo", "--concurrency", str(concurrency),
           "--database-url", f"sqlite://{db}", "--tokens-out", tokens]
    la = load_average()
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    h, m, s = wall.groups()
    secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    line = [l for l in p.stdout.splitlines() if l.startswith("seeded")][-1]
    print(f"seed run {run}: {secs:.1f} s (load average before: {la})", file=sys.stderr)
    return {"db": db, "tokens": tokens, "secs": secs, "rss_kb": rss, "line": line, "load": la}


def wait_ready(timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=5) as r:
                body = json.load(r)
                lag = (body.get("projector") or {}).get("lag_events")
                if lag == 0:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit("the server did not catch up in time")


def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            out[k] = int(v.split()[0])
    return out


def cpu_secs(pid):
    """User + system CPU seconds of a running process."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    """User + system CPU seconds of the waited-for children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def copy_db(src, dst):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)


def serve_and_load(binary, workdir, seeded, tokens, args, name):
    """Serve a fresh copy of the seeded file with `binary`, load it, measure memory."""
    db = os.path.join(workdir, f"serve-{name}.db")
    copy_db(seeded, db)
    serve = subprocess.Popen(
        [binary, "serve", "--database-url", f"sqlite://{db}", "--listen",
         f"127.0.0.1:{PORT}", "--signing-key", os.path.join(workdir, "ledger.key")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        wait_ready()
        catch_up = time.time() - t0
        time.sleep(12)  # the dashboard cache warms, one trim of free memory
        before = status(serve.pid)
        la = load_average()
        load_cmd = [BIN, "load", "--url", f"http://127.0.0.1:{PORT}", "--tokens-file",
                    tokens, "--rate", str(args.rate), "--duration", str(args.duration)]
        cpu0, load0 = cpu_secs(serve.pid), children_cpu()
        p = subprocess.run(load_cmd, capture_output=True, text=True)
        cpu1, load1 = cpu_secs(serve.pid), children_cpu()
        load_out = p.stdout.strip()
        after = status(serve.pid)
        la_after = load_average()
        time.sleep(15)
        settled = status(serve.pid)
    finally:
        serve.terminate()
        serve.wait()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    totals = load_out.splitlines()[0] if load_out else "no output"
    m = re.match(r"(\d+) requests in ([\d.]+) s = ([\d.]+) req/s.*, (\d+) errors", totals)
    achieved, errors = (float(m.group(3)), int(m.group(4))) if m else (0.0, -1)
    answered = max(int(m.group(1)) if m else 0, 1)
    all_line = [l for l in load_out.splitlines() if l.startswith("all ")]
    p99 = float(all_line[0].split()[5]) if all_line else float("nan")
    print(f"{name}: {totals}", file=sys.stderr)
    return {"catch_up": catch_up, "before": before, "after": after, "settled": settled,
            "load_out": load_out, "la": la, "la_after": la_after, "achieved": achieved,
            "errors": errors, "p99": p99, "rss_mb": after["VmRSS"] / 1024,
            "server_cpu_ms": (cpu1 - cpu0) * 1000 / answered,
            "load_cpu_ms": (load1 - load0) * 1000 / answered}


def render(res):
    """The text of demo.md from the results of demo.json (`res`)."""
    args, runs, this, base = res["args"], res["seed_runs"], res["this"], res.get("baseline")
    secs = [r["secs"] for r in runs]
    med = res["seed_median_secs"]
    verdict = lambda ok: "met" if ok else "**not met**"

    def row(what, value, fmt, target, ok, key=None, ratio=True):
        cells = [what]
        if base:
            b = base[key] if key else None
            cells.append(fmt(b) if b is not None else "")
        cells.append(fmt(value))
        if base:
            b = base[key] if key else None
            cells.append(f"{value / b:.2f}×" if ratio and b else "")
        cells += [target, verdict(ok) if ok is not None else ""]
        return "| " + " | ".join(cells) + " |"

    head = ["measurement"] + (["baseline", "this build", "ratio"] if base else ["this build"]) + ["target", ""]
    mb = lambda r, k: r[k]["VmRSS"] / 1024
    lines = [
        "# Demo city: seed, load and memory (benches/demo.py)",
        "",
    ]
    if res.get("source"):
        lines.append(f"- Source: {res['source']} (not a run of benches/demo.py).")
    lines += [
        f"- Machine: {res['machine']}; shared with other engineers' builds (load average "
        f"{', '.join(r['load'] for r in runs)} before the seed runs"
        + (f", {base['la']} before and {base['la_after']} after the baseline's load" if base else "")
        + f", {this['la']} before and {this['la_after']} after this build's load).",
        f"- Date: {res['date']}.",
        f"- Command: `{res['command']}` (release build; SQLite, "
        f"`synchronous=FULL`), which runs `kinerja seed --demo --concurrency {args['concurrency']} --tokens-out FILE`, "
        f"then `kinerja serve` on a copy of the seeded file and this build's `kinerja load --tokens-file FILE "
        f"--rate {args['rate']:g} --duration {args['duration']}` (open loop)"
        + (", first against the baseline binary, then against this build" if base else "") + ".",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        row(f"`kinerja seed --demo` (6,500 officers, fresh SQLite file), wall clock, {args['runs']} runs "
            f"({', '.join(f'{s:.1f} s' for s in secs)})", med, lambda v: f"{v:.1f} s" if v is not None else "",
            "≤ 60 s", med <= 60, ratio=False) if not base else
        f"| `kinerja seed --demo` (6,500 officers, fresh SQLite file), wall clock, {args['runs']} runs "
        f"({', '.join(f'{s:.1f} s' for s in secs)}) | | {med:.1f} s | | ≤ 60 s | {verdict(med <= 60)} |",
        row(f"`kinerja load --rate {args['rate']:g} --duration {args['duration']}`: achieved rate", this["achieved"],
            lambda v: f"{v:,.0f} req/s", f"{args['rate']:,.0f} req/s", this["achieved"] >= 0.98 * args["rate"],
            "achieved"),
        row("… p99 latency, all endpoints", this["p99"], lambda v: f"{v:.1f} ms", "≤ 50 ms",
            this["p99"] <= 50, "p99"),
        row("… errors", this["errors"], str, "0", this["errors"] == 0, "errors", ratio=False),
        row("server VmRSS right after the load", this["rss_mb"], lambda v: f"{v:.0f} MB", "≤ 200 MB",
            this["rss_mb"] <= 200, "rss_mb"),
        row("server CPU (user + system) per answered request", this["server_cpu_ms"],
            lambda v: f"{v:.2f} ms", "", None, "server_cpu_ms"),
        row("load generator CPU per answered request", this["load_cpu_ms"],
            lambda v: f"{v:.3f} ms", "", None, "load_cpu_ms"),
        "",
        f"Seed output (last run): `{runs[-1]['line']}`; peak RSS of the seed {runs[-1]['rss_kb'] / 1024:.0f} MB.",
    ]
    for name, r in ([("Baseline", base)] if base else []) + [("This build", this)]:
        lines += [
            f"{name}: the server caught its projections up from position 0 in {r['catch_up']:.0f} s; "
            f"VmRSS 12 s later {mb(r, 'before'):.0f} MB (peak VmHWM {r['before']['VmHWM'] / 1024:.0f} MB), "
            f"right after the load {mb(r, 'after'):.0f} MB, 15 s after it {mb(r, 'settled'):.0f} MB "
            f"(peak VmHWM {r['settled']['VmHWM'] / 1024:.0f} MB).",
            "",
            f"{name}, load output (latency from the scheduled send time to reading the whole answer):",
            "",
            "```",
            r["load_out"],
            "```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=1024, help="officers seeded concurrently")
    ap.add_argument("--no-build", action="store_true", help="use the release binary as it is")
    ap.add_argument("--baseline", help="also serve with this kinerja binary (e.g. a build of main)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benches", "results"),
                    help="directory for demo.json and demo.md (default benches/results)")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite OUT/demo.md from OUT/demo.json")
    args = ap.parse_args()
    json_path, md_path = os.path.join(args.out, "demo.json"), os.path.join(args.out, "demo.md")
    if args.render:
        text = render(json.load(open(json_path)))
        open(md_path, "w").write(text)
        print(text, end="")
        return
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"{BIN} not found: build it (cargo build --release) or drop --no-build")
    started = datetime.datetime.now(datetime.timezone.utc)
    workdir = tempfile.mkdtemp(prefix="kinerja-demo-")
    try:
        runs = [seed(workdir, i + 1, args.concurrency) for i in range(args.runs)]
        last = runs[-1]
        base = (serve_and_load(args.baseline, workdir, last["db"], last["tokens"], args, "baseline")
                if args.baseline else None)
        this = serve_and_load(BIN, workdir, last["db"], last["tokens"], args, "this build")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    res = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "commit": git_commit(),
        "command": f"python3 benches/demo.py --runs {args.runs} --rate {args.rate:g} --duration "
                   f"{args.duration} --concurrency {args.concurrency}"
                   + (" --baseline BIN" if args.baseline else ""),
        "args": {"runs": args.runs, "rate": args.rate, "duration": args.duration,
                 "concurrency": args.concurrency, "baseline": args.baseline},
        # The seeded files and tokens lived in a temporary directory, gone now.
        "seed_runs": [{k: r[k] for k in ("secs", "rss_kb", "line", "load")} for r in runs],
        "seed_median_secs": statistics.median(r["secs"] for r in runs),
        "baseline": base,
        "this": this,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(res, f, indent=2, ensure_ascii=False)
        f.write("\n")
    text = render(res)
    open(md_path, "w").write(text)
    print(text, end="")
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
