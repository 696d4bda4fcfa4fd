"""The "faults" table of bench/README.md: how many fault cases the suite tries per class of
issue 8, and how many hold. Runs tests/faults (and the older fault tests elsewhere) and counts
the cases (each parametrised case is one) by class.

    .venv/bin/python bench/faults_table.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (class, test file, words in the test name; first match wins)
CLASSES: list[tuple[str, str, tuple[str, ...]]] = [
    ("§1 later writers (export disputes/coaching, report pdf/png/csv): the workspace's spellings, a folder, a missing folder, a file in the way", "test_output_guard", ("later_writers",)),
    ("§1 output path resolves to the workspace, its side files/backups, or the input", "test_output_guard", ("refuse", "rejects", "case_insensitive", "closed_workspace", "save_a_copy", "analysis_report")),
    ("§1 output path that is a folder, in a missing folder, under a file", "test_output_guard", ("cannot_be_files",)),
    ("§1 kill (SIGKILL) during a write: old file kept, temp cleaned next run", "test_atomic_writes", ("killed",)),
    ("§1 disk full / file too large (RLIMIT_FSIZE)", "test_atomic_writes", ("disk_full",)),
    ("§1 atomic write helper, stale temporary files", "test_atomic_writes", ("",)),
    ("§1/§2 reading commands create nothing; creation needs its folder, is atomic", "test_workspace_faults", ("reading_commands", "creating_commands", "refused_import", "demo_with", "same_new", "without_db")),
    ("§2 not a workspace / damaged / newer; folder, missing, parent is a file (workspace or input)", "test_workspace_faults", ("not_usable", "input_paths")),
    ("§2/§3 busy workspace: wait within the budget, then one line", "test_workspace_faults", ("busy", "waits")),
    ("§2 read-only workspace and folder (unprivileged user)", "test_workspace_faults", ("read_only",)),
    ("§2 unexpected error: logged, one line with the log's path", "test_workspace_faults", ("unexpected",)),
    ("§2a damaged workspace: `qagrader check` names it and the backup, `--repair` rebuilds the store, never published, merged or imported into", "test_integrity", ("",)),
    ("§2b read-only workspace: reading commands work and leave nothing beside it, writes refused in one line", "test_read_only", ("",)),
    ("§3 8 submitters + 2 bulk imports: no lost write, no raw error", "test_load", ("",)),
    ("§4 control characters, surrogates, tabs/line breaks in names", "test_hostile_input", ("control", "line_breaks")),
    ("§4 absurd structure: deep JSON, duplicate keys, enormous files/cells", "test_hostile_input", ("nested", "duplicate_keys", "enormous")),
    ("§4 numbers: NaN/Infinity/1e308, weights, scale bounds", "test_hostile_input", ("numbers", "number_too_large", "weights_zero", "non_numbers", "scale_answers")),
    ("§4 names the app does not know: channels, options, questions", "test_hostile_input", ("channels", "lack")),
    ("§4 encodings: UTF-16 ± BOM, changing encoding, stray BOM, repeated header", "test_hostile_input", ("utf16", "encoding", "windows_1252", "byte_order", "twice")),
    ("§4 later inputs: a merge's other workspace and team-folder files, report months, periods and days, grader names", "test_hostile_later", ("",)),
]


def classify(file: str, name: str) -> str:
    for label, test_file, words in CLASSES:
        if test_file in file and any(w in name for w in words):
            return label
    return "other"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "faults.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile",
                        "-p", "no:cacheprovider", f"--junitxml={report}", "tests/faults"], cwd=ROOT)
        tried, held = Counter(), Counter()
        for case in ET.parse(report).getroot().iter("testcase"):
            label = classify(case.get("classname", ""), case.get("name", ""))
            if case.find("skipped") is not None:
                continue
            tried[label] += 1
            if case.find("failure") is None and case.find("error") is None:
                held[label] += 1
    print("| class | cases tried | hold |")
    print("|---|---:|---:|")
    for label, _, _ in CLASSES:
        if tried[label]:
            print(f"| {label} | {tried[label]} | {held[label]} |")
    if tried["other"]:
        print(f"| other | {tried['other']} | {held['other']} |")
    print(f"| **total** | **{sum(tried.values())}** | **{sum(held.values())}** |")
    return 0 if tried == held else 1


if __name__ == "__main__":
    sys.exit(main())
