#!/usr/bin/env python3
"""Server CPU per request, endpoint by endpoint (figures in benches/DEMO.md).

Usage: python3 benches/endpoint_cpu.py --pid PID --tokens FILE [--port 18181] [--calls 1000]

Against a running `kinerja serve` on the seeded demo city (`kinerja seed --demo --tokens-out
FILE`): for each read endpoint of the load mix, N requests one after the other on one keep-alive
connection, and the server's user + system CPU time over them from /proc/PID/stat (so this
client's own CPU does not count). Prints CPU microseconds and wall milliseconds per request.
"""
import argparse
import http.client
import os
import time


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--port", type=int, default=18181)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--year", type=int, default=2025, help="the seeded plan year")
    args = ap.parse_args()
    tokens = {}
    for line in open(args.tokens):
        cols = line.rstrip("\n").split("\t")
        tokens.setdefault(cols[0], []).append(cols)
    auditor = tokens["auditor"][0][2]
    officers, heads = tokens["officer"], tokens["head"]
    y, current = args.year, args.year + 1
    cases = {
        "GET healthz": lambda i: ("/healthz", None),
        "GET scorecard": lambda i: (f"/api/v1/officers/{officers[i % len(officers)][1]}/scorecard/{y}",
                                    officers[i % len(officers)][2]),
        "GET own plan": lambda i: (f"/api/v1/officers/{officers[i % len(officers)][1]}/plans/{current}",
                                   officers[i % len(officers)][2]),
        "GET audit trail": lambda i: (f"/api/v1/officers/{officers[i % len(officers)][1]}/audit-trail?limit=50",
                                      auditor),
        "GET SKP stream": lambda i: (f"/api/v1/streams/skp-{officers[i % len(officers)][1]}_{current}_1", auditor),
        "GET findings": lambda i: ("/api/v1/accountability/report_late_or_backdated", auditor),
        "GET dashboard": lambda i: (f"/api/v1/units/{heads[i % len(heads)][3]}/dashboard/{y}",
                                    heads[i % len(heads)][2]),
    }
    tick = os.sysconf("SC_CLK_TCK")
    for name, make in cases.items():
        conn = http.client.HTTPConnection("127.0.0.1", args.port)
        c0, t0 = cpu_ticks(args.pid), time.time()
        for i in range(args.calls):
            path, token = make(i)
            conn.request("GET", path, headers={"authorization": f"Bearer {token}"} if token else {})
            r = conn.getresponse()
            r.read()
            if r.status >= 400:
                raise SystemExit(f"{name}: {r.status}")
        c1, t1 = cpu_ticks(args.pid), time.time()
        us = (c1 - c0) / tick * 1e6 / args.calls
        print(f"{name:20s} {us:7.0f} µs server CPU per request  {(t1 - t0) / args.calls * 1000:6.2f} ms wall")


if __name__ == "__main__":
    main()
