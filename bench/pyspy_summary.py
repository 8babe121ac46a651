#!/usr/bin/env python
"""Summarise a py-spy ``--format raw --threads`` profile (collapsed stacks) into text tables.

    python bench/pyspy_summary.py bench/results/latest/profile/daphne-s3.txt [--top 25]

Prints samples per thread, the top functions by self time, and the top *agentserver* functions by
inclusive time (frames from this project's own apps), so a hot path can be named as file:function.
"""
import argparse
import re
from collections import Counter, defaultdict

PROJECT = ("agentserver/", "assistants/", "threads/", "runs/", "streaming/")
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?):(?P<line>\d+)\)$")


def parse(path):
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        thread = re.sub(r"\s*\(\d+\)", "", frames[0]) if frames[0].startswith("thread") else "?"
        thread = re.sub(r"_\d+$", "_N", thread)
        yield thread, frames[1:] if frames[0].startswith("thread") else frames, int(count)


def loc(frame):
    m = FRAME.match(frame)
    if not m:
        return frame
    return f"{m['file']}:{m['func']}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("profile")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--thread", help="only threads whose name contains this")
    args = p.parse_args()
    per_thread = Counter()
    self_time = Counter()
    inclusive = Counter()
    project_self = Counter()
    total = 0
    callers = defaultdict(Counter)
    for thread, frames, count in parse(args.profile):
        if args.thread and args.thread not in thread:
            continue
        per_thread[thread] += count
        total += count
        if not frames:
            continue
        self_time[loc(frames[-1])] += count
        seen = set()
        for frame in frames:
            name = loc(frame)
            if name.startswith(PROJECT) and name not in seen:
                seen.add(name)
                inclusive[name] += count
        own = [loc(f) for f in frames if loc(f).startswith(PROJECT)]
        if own:
            project_self[own[-1]] += count
            callers[own[-1]][loc(frames[-1])] += count
    print(f"{args.profile}: {total} samples")
    print("\n-- samples per thread")
    for name, n in per_thread.most_common():
        print(f"{100 * n / total:6.1f}%  {name}")
    print(f"\n-- top {args.top} by self time")
    for name, n in self_time.most_common(args.top):
        print(f"{100 * n / total:6.1f}%  {name}")
    print(f"\n-- top {args.top} project functions, inclusive")
    for name, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:6.1f}%  {name}")
    print(f"\n-- time by innermost project frame (where agentserver code hands off), top {args.top}")
    for name, n in project_self.most_common(args.top):
        leaf = ", ".join(f"{leaf} {100 * c / total:.1f}%" for leaf, c in callers[name].most_common(3))
        print(f"{100 * n / total:6.1f}%  {name}   [leaves: {leaf}]")


if __name__ == "__main__":
    main()
