"""Benchmark: import 265,000 evaluations (the wide CSV): time and peak memory, against a plain
sqlite-utils insert of the same rows and, optionally, against another checkout's import.

    .venv/bin/python bench/bench_evaluation_import.py [--evaluations N] [--before DIR] [--repeat N] [--keep DIR]

Builds the workspace of `bench_export.py` (3 scorecards of 12 questions, N submitted
evaluations, each of its own interaction), exports it as the wide CSV, then runs every import
in a fresh process that reports its time and peak resident size (VmHWM), all in the same
run:

- baseline: `sqlite_utils.Database.insert_all` of the file's rows (read with `csv.DictReader`,
  streaming, nothing checked) into a bare table;
- `import_evaluations` into a workspace holding only the scorecards (every row new, its
  interaction created), then the same file again (every row unchanged);
- with ``--before DIR``: the same two imports with the code of the checkout DIR (e.g. main
  before the import streamed), run in turn with this checkout's (``--repeat`` rounds, the
  order alternating).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_export import CHANNELS, build, scorecard  # noqa: E402
from qagrader.core.exporting.csv_export import export_evaluations  # noqa: E402
from qagrader.core.storage.workspace import Workspace  # noqa: E402

# the child's own peak: ru_maxrss keeps the parent's peak across fork and exec, VmHWM does not
PEAK = """
def peak_mb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

BASELINE = PEAK + """
import csv, json, sys, time
import sqlite_utils
source, target = sys.argv[1], sys.argv[2]
start = time.perf_counter()
with open(source, encoding="utf-8", newline="") as handle:
    sqlite_utils.Database(target)["evaluations"].insert_all(csv.DictReader(handle), batch_size=5000)
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_mb()}))
"""

IMPORT = PEAK + """
import json, sys, time
from qagrader.core.importing.evaluations import import_evaluations
from qagrader.core.storage.workspace import Workspace
source, target = sys.argv[1], sys.argv[2]
with Workspace.open(target) as ws:
    start = time.perf_counter()
    report = import_evaluations(ws, source)
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "created": report.created, "unchanged": report.unchanged,
                  "peak_mb": peak_mb()}))
"""


def run(script: str, code: Path, *args: Path) -> dict:
    """`script` in a fresh process importing qagrader from the checkout `code`."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=code)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def imports(code: Path, template: Path, wide: Path, evaluations: int) -> dict[str, dict]:
    """The import of `wide` into a copy of `template` with the checkout `code`, then again."""
    target = template.with_name("import.qagrader")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, target)
    new = run(IMPORT, code, wide, target)
    again = run(IMPORT, code, wide, target)
    assert new["created"] == again["unchanged"] == evaluations, (new, again)
    return {"new rows": new, "re-import, unchanged": again}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=265_000)
    parser.add_argument("--before", type=Path, help="another checkout whose import to time as well")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, the checkouts in turn (each round "
                        "starts with the one the round before ended with)")
    args = parser.parse_args()
    place = contextlib.nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory(prefix="qagrader-bench-")
    with place as folder:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        source, wide = folder / "source.qagrader", folder / "wide.csv"
        if not wide.exists():
            with build(source, args.evaluations) as ws:
                export_evaluations(ws, wide)
        template = folder / "scorecards.qagrader"
        template.unlink(missing_ok=True)
        with Workspace.open(template) as ws:
            for channel in CHANNELS:
                ws.scorecards.import_json(json.dumps(scorecard(channel)))
        print(f"{args.evaluations:,} evaluations, wide CSV {wide.stat().st_size / 1e6:.0f} MB")
        bare = folder / "baseline.db"
        bare.unlink(missing_ok=True)
        baseline = run(BASELINE, ROOT, wide, bare)
        print(f"baseline sqlite-utils insert_all: {baseline['seconds']:.1f} s, peak {baseline['peak_mb']:.0f} MB",
              flush=True)
        codes = [("this checkout", ROOT), *([(f"before ({args.before})", args.before)] if args.before else [])]
        for round_ in range(args.repeat):
            for name, code in codes if round_ % 2 == 0 else codes[::-1]:
                for label, result in imports(code, template, wide, args.evaluations).items():
                    seconds, peak = result["seconds"], result["peak_mb"]
                    print(f"{name}, {label}: {seconds:.1f} s ({seconds / baseline['seconds']:.2f}x the baseline), "
                          f"peak {peak:.0f} MB ({peak / baseline['peak_mb']:.1f}x)", flush=True)


if __name__ == "__main__":
    main()
