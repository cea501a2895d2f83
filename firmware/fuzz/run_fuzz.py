#!/usr/bin/env python3
"""Runs the fuzz targets and prints a summary (``make fuzz``; docs/testing.md "Fuzzing").

    run_fuzz.py [--seconds S] [--runs N] [--seed K] [--out build/fuzz] [TARGET ...]

A TARGET is a libFuzzer harness build/fuzz/<target> (firmware/fuzz/fuzz_<target>.c)
or py_<name>, the atheris harness tests/fuzz/atheris_<name>.py. Each runs S seconds
(or N inputs) on its corpus build/fuzz/corpus/<target>/ (seeds from the test vectors;
new inputs are added there), after replaying its regression fixtures
tests/fixtures/fuzz/<target>/ (crashes found before, one file each). A crash's input
is kept in build/fuzz/crashes/<target>/. Exit status 1 when any target crashed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "fuzz"
LIBFUZZER_TARGETS = ("smp_frame", "smp", "bundle", "wasm", "install")
ATHERIS_TARGETS = ("py_smp_frame", "py_bundle")
ALL_TARGETS = LIBFUZZER_TARGETS + ATHERIS_TARGETS
# Seeds of an atheris target: those of the C target of the same input format.
CORPUS_OF = {"py_smp_frame": "smp_frame", "py_bundle": "bundle"}
DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)")
STAT = re.compile(r"stat::(\w+):\s+(\d+)")


@dataclass
class Result:
    target: str
    execs: int = 0
    execs_per_s: int = 0
    cov: int = 0
    features: int = 0
    corpus: int = 0
    fixtures: int = 0
    crashed: bool = False
    log: str = ""


def command(target: str, out: Path) -> list[str]:
    if target.startswith("py_"):
        script = ROOT / "tests" / "fuzz" / f"atheris_{target[3:]}.py"
        return [sys.executable, str(script)]
    return [str(out / target)]


def fixtures(target: str) -> list[Path]:
    folder = FIXTURES / target
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def run(target: str, out: Path, seconds: int, runs: int | None = None, seed: int | None = None,
        work: Path | None = None) -> Result:
    """Replays the target's fixtures, then fuzzes it; the Result of both. The binaries
    and seeds are in out, new inputs and crashes go to work (default: out)."""
    result = Result(target)
    base = command(target, out)
    work = work or out
    crashes = work / "crashes" / target
    crashes.mkdir(parents=True, exist_ok=True)
    opts = ["-close_fd_mask=1", "-timeout=20", f"-artifact_prefix={crashes}/"]
    replay = fixtures(target)
    result.fixtures = len(replay)
    if replay:
        proc = subprocess.run([*base, *opts, *map(str, replay)], capture_output=True, text=True,
                              errors="replace", check=False)
        if proc.returncode != 0:
            result.crashed = True
            result.log = proc.stderr[-4000:]
            return result
    corpus = work / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    seeds = out / "corpus" / CORPUS_OF.get(target, target)
    fuzz_opts = [f"-max_total_time={seconds}", "-print_final_stats=1"]
    if runs is not None:
        fuzz_opts.append(f"-runs={runs}")
    if seed is not None:
        fuzz_opts.append(f"-seed={seed}")
    dirs = [str(corpus)] + ([str(seeds)] if seeds != corpus else [])
    proc = subprocess.run([*base, *opts, *fuzz_opts, *dirs], capture_output=True, text=True,
                          errors="replace", check=False)
    result.crashed = proc.returncode != 0
    result.log = proc.stderr[-4000:]
    stats = dict(STAT.findall(proc.stderr))
    result.execs = int(stats.get("number_of_executed_units", 0))
    result.execs_per_s = int(stats.get("average_exec_per_sec", 0))
    done = DONE.findall(proc.stderr)
    if done:
        _, cov, ft, corp = done[-1]
        result.cov, result.features, result.corpus = int(cov), int(ft), int(corp)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=300, help="per target (default 300)")
    ap.add_argument("--runs", type=int, help="stop a target after this many inputs")
    ap.add_argument("--seed", type=int, help="libFuzzer's -seed (default: random)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz")
    ap.add_argument("targets", nargs="*", help=f"default: {' '.join(ALL_TARGETS)}")
    args = ap.parse_args()
    targets = args.targets or list(ALL_TARGETS)
    unknown = sorted(set(targets) - set(ALL_TARGETS))
    if unknown:
        ap.error(f"unknown target(s) {', '.join(unknown)}; known: {' '.join(ALL_TARGETS)}")
    results = []
    for target in targets:
        print(f"fuzz {target}: {args.seconds} s ...", flush=True)
        result = run(target, args.out, args.seconds, args.runs, args.seed)
        if result.crashed:
            print(result.log, file=sys.stderr)
        results.append(result)
    print(f"\n{'target':<14}{'execs':>12}{'execs/s':>9}{'cov':>7}{'ft':>7}{'corpus':>8}"
          f"{'fixtures':>10}  result")
    for r in results:
        verdict = f"CRASH (input in {args.out / 'crashes' / r.target})" if r.crashed else "ok"
        print(f"{r.target:<14}{r.execs:>12,}{r.execs_per_s:>9,}{r.cov:>7}{r.features:>7}"
              f"{r.corpus:>8}{r.fixtures:>10}  {verdict}")
    return 1 if any(r.crashed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
