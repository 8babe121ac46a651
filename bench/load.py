#!/usr/bin/env python
"""One asyncio load generator for any LangGraph Agent Server: agentserver or the reference `langgraph dev`.

    python bench/load.py --url http://127.0.0.1:8000 [--scenario 1,3] [--server-pid PID] [--json out.json]

The server must serve the graphs of ``bench/langgraph.json`` (``noop``, ``emit``, ``tokens``).
Every scenario checks what it counts: a missing, extra, duplicated or out-of-order event, an ``error``
frame or an HTTP error is an *error* of the scenario (reported, and the scenario is marked failed),
never a data point.

Scenarios (bench/scenarios.py):
  1  sequential streamed runs of ``noop``: time to headers, first event, first data event, end (p50/p90/p99)
  2  runs/s with C concurrent clients, each creating a thread and streaming a ``noop`` run
  3  events/s of one ``emit`` run (N custom events, each checked once and in order)
  4  fan-out: K clients on one thread stream (GET /threads/{id}/stream) while ``emit`` runs
  5  M idle thread streams: server RSS per stream, idle CPU, and time to first event of new runs meanwhile
  6  tokens/s of ``tokens`` with ``messages-tuple``

HTTP client: aiohttp (see bench/README.md: it costs ~6x less client CPU per SSE frame than httpx,
which matters on a 2-core machine where client and server share the CPUs).
"""
import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import BenchError, check_status  # noqa: E402
from scenarios import NOW, SCENARIOS, TITLES, Ctx  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------------
# The server process (optional): RSS and CPU from /proc
# --------------------------------------------------------------------------------------------
class ServerProc:
    """One server process, or several (``"pid,pid,..."``: a scale-out layout, summed)."""

    def __init__(self, pids):
        self.pids = [int(p) for p in str(pids).split(",") if p.strip()]
        self.pid = self.pids[0]

    def _tree(self):
        pids, todo = [], list(self.pids)
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as fh:
                        todo.extend(int(c) for c in fh.read().split())
            except OSError:
                pass
        return pids

    def rss_kb(self):
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def cpu_seconds(self):
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (of all threads)
            except OSError:
                pass
        return total / CLK_TCK

    def threads(self):
        try:
            return len(os.listdir(f"/proc/{self.pid}/task"))
        except OSError:
            return None


def _errors(result):
    return result.get("error_count", len(result.get("errors", [])))


async def run(args):
    proc = ServerProc(args.server_pid) if args.server_pid else None
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=args.read_timeout)
    out = {"url": args.url, "label": args.label, "server_pid": args.server_pid, "scenarios": {}}
    sessions = [aiohttp.ClientSession(url, connector=connector, connector_owner=False, timeout=timeout)
                for url in args.url.split(",")]
    try:
        for session in sessions:
            async with session.get("/ok") as resp:
                await check_status(resp, "GET /ok")
        ctx = Ctx(sessions, args, proc)
        for number in args.scenario:
            cpu0 = proc.cpu_seconds() if proc else None
            t0 = NOW()
            try:
                result = await asyncio.wait_for(SCENARIOS[number](ctx), args.scenario_timeout)
            except (TimeoutError, BenchError, aiohttp.ClientError) as exc:
                result = {"errors": [f"scenario aborted: {exc!r}"]}
            result["wall_s"] = round(NOW() - t0, 3)
            if proc:
                result["server_cpu_s"] = round(proc.cpu_seconds() - cpu0, 3)
                result["server_rss_kb"] = proc.rss_kb()
            result["ok"] = _errors(result) == 0
            out["scenarios"][str(number)] = result
            print(f"[{args.label}] scenario {number} ({TITLES[number]}): "
                  f"{'ok' if result['ok'] else 'ERRORS: ' + '; '.join(result['errors'][:3])}", file=sys.stderr, flush=True)
    finally:
        for session in sessions:
            await session.close()
        await connector.close()
    return out


def table(out):
    rows = []
    sc = out["scenarios"]

    def add(name, value, unit=""):
        rows.append((name, "-" if value is None else f"{value}{unit}"))

    if "1" in sc and "first_event_ms" in sc["1"]:
        r = sc["1"]
        add("1 headers p50", r["headers_ms"]["p50"], " ms")
        for q in ("p50", "p90", "p99"):
            add(f"1 first event {q}", r["first_event_ms"][q], " ms")
        add("1 first data event p50", r["first_data_ms"]["p50"], " ms")
        add("1 end of stream p50", r["end_ms"]["p50"], " ms")
        add("1 end of stream p99", r["end_ms"]["p99"], " ms")
    if "2" in sc and "runs_per_s" in sc["2"]:
        r = sc["2"]
        add(f"2 runs/s ({r['clients']} clients)", r["runs_per_s"])
        add("2 run end p50 / p99", f"{r['end_ms']['p50']} / {r['end_ms']['p99']}", " ms")
    if "3" in sc and "events_per_s" in sc["3"]:
        add(f"3 events/s (N={sc['3']['n']})", sc["3"]["events_per_s"])
    if "4" in sc and "delivered_events_per_s" in sc["4"]:
        r = sc["4"]
        add(f"4 fan-out {r['clients']}x{r['n']}: complete clients", r["complete_clients"])
        add("4 fan-out delivered events/s", r["delivered_events_per_s"])
        add("4 fan-out last client done", r["client_done_ms"]["max"], " ms")
    if "5" in sc and "opened" in sc["5"]:
        r = sc["5"]
        add("5 idle streams opened", r["opened"])
        add("5 RSS per idle stream", r.get("rss_per_stream_kb"), " KB")
        add("5 server CPU, no streams", r.get("idle_cpu_pct_before"), " %")
        add(f"5 server CPU, {r['opened']} idle streams", r.get("idle_cpu_pct_open"), " %")
        add("5 new run first event p50", r["new_run_first_event_ms"]["p50"], " ms")
    if "6" in sc and "tokens_per_s" in sc["6"]:
        add(f"6 tokens/s ({sc['6']['chunks']} chunks)", sc["6"]["tokens_per_s"])
        add("6 tokens/s end to end", sc["6"]["tokens_per_s_end_to_end"])
    if "7" in sc and "connected_ms" in sc["7"]:
        r = sc["7"]
        add(f"7 join {r['clients']} clients: all connected", r["all_connected_ms"], " ms")
        add("7 join: connected p50", r["connected_ms"]["p50"], " ms")
        add("7 join: clients from the first tick", r["clients_from_first_tick"])
    for number, r in sc.items():
        if not r.get("ok"):
            add(f"{number} ERRORS", _errors(r))
    width = max((len(n) for n, _ in rows), default=10)
    lines = [f"== {out['label']} ({out['url']})"] + [f"{n:<{width}}  {v}" for n, v in rows]
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--label", default="server")
    p.add_argument("--scenario", default="1,2,3,4,5,6,7", help="comma-separated scenario numbers")
    p.add_argument("--server-pid", help="the server process(es: pid,pid,...), for RSS and CPU from /proc")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--quick", action="store_true", help="small sizes everywhere (a smoke run)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--read-timeout", type=float, default=120.0)
    p.add_argument("--scenario-timeout", type=float, default=600.0)
    p.add_argument("--s1-runs", type=int, default=100)
    p.add_argument("--s2-clients", type=int, default=32)
    p.add_argument("--s2-seconds", type=float, default=15.0)
    p.add_argument("--emit-n", type=int, default=20000)
    p.add_argument("--s3-repeats", type=int, default=3)
    p.add_argument("--s4-clients", type=int, default=100)
    p.add_argument("--s4-n", type=int, default=2000)
    p.add_argument("--s4-settle", type=float, default=1.0)
    p.add_argument("--s5-streams", type=int, default=1000)
    p.add_argument("--s5-idle-seconds", type=float, default=10.0)
    p.add_argument("--s5-runs", type=int, default=10)
    p.add_argument("--s6-runs", type=int, default=10)
    p.add_argument("--tokens-words", type=int, default=100)
    p.add_argument("--s7-clients", type=int, default=100)
    p.add_argument("--s7-ticks", type=int, default=40)
    p.add_argument("--s7-delay", type=float, default=0.05)
    args = p.parse_args(argv)
    if args.quick:
        quick = {"warmup": 1, "s1_runs": 10, "s2_seconds": 3.0, "s2_clients": 8, "emit_n": 2000, "s3_repeats": 1,
                 "s4_clients": 10, "s4_n": 200, "s5_streams": 50, "s5_idle_seconds": 2.0, "s5_runs": 3, "s6_runs": 3,
                 "s7_clients": 20}
        explicit = {a.split("=")[0].lstrip("-").replace("-", "_") for a in (argv or sys.argv[1:]) if a.startswith("--")}
        for key, value in quick.items():
            if key not in explicit:
                setattr(args, key, value)
    args.scenario = [int(x) for x in str(args.scenario).split(",") if x.strip()]
    return args


def main(argv=None):
    args = parse_args(argv)
    out = asyncio.run(run(args))
    out["args"] = dict(vars(args))
    print(table(out))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0 if all(r.get("ok") for r in out["scenarios"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
