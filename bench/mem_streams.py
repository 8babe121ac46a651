#!/usr/bin/env python
"""What does one idle thread stream cost in memory? tracemalloc inside agentserver, grouped by line.

    python bench/mem_streams.py [--streams 1000] [--group-by lineno|filename]

Starts daphne on ``bench.mem_streams:application`` (agentserver's app with tracemalloc on; SIGUSR1 takes
a snapshot, the second one is compared with the first and written to a file), opens ``--streams``
GET /threads/{id}/stream on idle threads, and prints the allocations that grew, per stream.
"""
import os
import signal
import sys

SNAP_FILE = os.environ.get("BENCH_MEM_FILE")

if SNAP_FILE and __name__ != "__main__":
    import tracemalloc

    tracemalloc.start(int(os.environ.get("BENCH_MEM_FRAMES", "8")))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentserver.settings")
    from agentserver.asgi import application  # noqa: F401

    _state = {}

    def _on_signal(signum, frame):
        snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        if "base" not in _state:
            _state["base"] = snap
            open(SNAP_FILE + ".base", "w").write("ok\n")
            return
        group = os.environ.get("BENCH_MEM_GROUP", "lineno")
        stats = snap.compare_to(_state["base"], group)
        with open(SNAP_FILE, "w") as fh:
            total = sum(s.size_diff for s in stats)
            fh.write(f"TOTAL {total}\n")
            for s in stats[:60]:
                fh.write(f"{s.size_diff} {s.count_diff} {s.traceback.format()[-1].strip() if group == 'traceback' else s.traceback}\n")

    signal.signal(signal.SIGUSR1, _on_signal)


def _driver():
    import argparse
    import asyncio
    import shutil
    import subprocess
    import tempfile
    import time
    import urllib.request
    from pathlib import Path

    import aiohttp

    bench = Path(__file__).resolve().parent
    root = bench.parent
    sys.path.insert(0, str(bench))
    import checks  # noqa: E402

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--group-by", default="lineno", choices=["lineno", "filename"])
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    out = tmp / "mem.txt"
    env = dict(os.environ, AGENTSERVER_DATA_DIR=str(tmp), LANGGRAPH_CONFIG=str(bench / "langgraph.json"),
               DATABASE_URL=f"sqlite:///{tmp}/agentserver.sqlite3", BENCH_MEM_FILE=str(out),
               BENCH_MEM_GROUP=args.group_by, PYTHONPATH=f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    for key in ("DJANGO_SETTINGS_MODULE", "REDIS_URL"):
        env.pop(key, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=root, env=env, check=True)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                             "bench.mem_streams:application"], cwd=root, env=env,
                            stdout=open(tmp / "server.log", "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def wait_file(path, timeout=60):
        deadline = time.time() + timeout
        while not path.exists():
            if time.time() > deadline:
                raise RuntimeError(f"no {path}")
            time.sleep(0.2)

    async def drive():
        async with aiohttp.ClientSession(url, connector=aiohttp.TCPConnector(limit=0)) as s:
            sem = asyncio.Semaphore(32)

            async def make():
                async with sem:
                    return await checks.create_thread(s)

            threads = await asyncio.gather(*(make() for _ in range(args.streams)))
            for _ in range(3):  # warm-up: runs and a few streams
                await checks.stream_run(s, await checks.create_thread(s), checks.NOOP_BODY, checks.NoopCheck())
            warm = [await s.get(f"/threads/{t}/stream") for t in threads[:20]]
            await asyncio.sleep(0.5)
            for r in warm:
                r.close()
            await asyncio.sleep(1)
            proc.send_signal(signal.SIGUSR1)
            wait_file(Path(str(out) + ".base"))
            responses = []
            for t in threads:
                async with sem:
                    responses.append(await s.get(f"/threads/{t}/stream"))
            await asyncio.sleep(2)
            proc.send_signal(signal.SIGUSR1)
            wait_file(out)
            for r in responses:
                r.close()

    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/ok", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp / "server.log").read_text()[-2000:]) from None
                time.sleep(0.2)
        asyncio.run(drive())
        time.sleep(0.5)
        lines = out.read_text().splitlines()
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    total = int(lines[0].split()[1])
    print(f"{args.streams} idle streams: Python heap +{total / 1024:.0f} KB = {total / args.streams / 1024:.2f} KB per stream "
          f"(tracemalloc; RSS adds allocator overhead and non-Python memory)\n")
    print(f"{'B/stream':>9} {'objs/stream':>11}  where")
    for line in lines[1:40]:
        size, count, where = line.split(" ", 2)
        if int(size) / args.streams < 50:
            continue
        print(f"{int(size) / args.streams:9.0f} {int(count) / args.streams:11.1f}  {where}")


if __name__ == "__main__":
    _driver()
