"""Differential harness: are the findings of `sqlasync check` on a tree the same as a recorded reference?

Speed work must not change what `check` reports. This records the findings of one implementation in a
canonical text form (one block per file, one line per site, everything a user sees: code, span,
fixable, message, reason, needs) and compares another implementation's findings with it.

    # the reference, from the working tree or from any commit of this repository
    python benchmarks/compare_findings.py record PATH --output before.txt [--sqlasync-rev REV]
    # the same, from a JSON report written earlier (`check --format json --output report.json`)
    python benchmarks/compare_findings.py record PATH --output before.txt --report report.json
    # exit 1 and a diff when the working tree's findings differ from the reference
    python benchmarks/compare_findings.py compare PATH --reference before.txt
    # a copy of the package as it was at REV, to put on PYTHONPATH (for bench_check.py, say)
    python benchmarks/compare_findings.py package --sqlasync-rev REV --output FOLDER

PATH is checked with `--no-cache --exit-zero` from the current folder (give the same PATH both times:
paths in the report are shown relative to it). tests/test_findings_reference.py compares fixtures/ and
tests/cases with the references under tests/support/findings/; after a deliberate change of findings,
regenerate them with `record` and review the diff.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
# How this repository's folders map onto the installed package (pyproject.toml's package-dir).
PACKAGE_FOLDERS = {"toolkit": "sqlasync", "codemods": "sqlasync/codemods", "compat": "sqlasync/compat"}


def canonical(report: dict) -> str:
    """The findings of a JSON report as text that only changes when a finding does."""
    lines = []
    current = None
    sites = [(f, "") for f in report["findings"]] + [(f, " suppressed") for f in report.get("suppressed", [])]
    for finding, marker in sorted(sites, key=lambda s: (s[0]["path"], s[0]["line"], s[0]["column"],
                                                        s[0]["code"], s[0]["message"], s[1])):
        if finding["path"] != current:
            current = finding["path"]
            lines.append(current)
        extra = "".join(f" | {key}: {_one_line(finding[key])}" for key in ("reason", "needs") if finding.get(key))
        fixable = " fixable" if finding["fixable"] else ""
        lines.append(f"  {finding['line']}:{finding['column']}-{finding['end_line']}:{finding['end_column']} "
                     f"{finding['code']}{fixable}{marker} {_one_line(finding['message'])}{extra}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    """Messages may span lines; a site stays one line of the canonical text."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def run_check(paths: list[str], jobs: int | None, rev: str | None) -> dict:
    """The JSON report of `check` over `paths`, by the working tree's sqlasync or by commit `rev`'s."""
    with tempfile.TemporaryDirectory(prefix="sqlasync-findings-") as scratch:
        env = dict(os.environ)
        if rev is not None:
            env["PYTHONPATH"] = str(_package_at(rev, Path(scratch)))
        output = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "sqlasync", "check", *paths, "--no-cache", "--exit-zero",
                   "--format", "json", "--output", str(output)]
        if jobs is not None:
            command += ["-j", str(jobs)]
        result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
        return json.loads(output.read_text(encoding="utf-8"))


def _package_at(rev: str, scratch: Path) -> Path:
    """An importable copy of package `sqlasync` as it was at commit `rev` (ahead of the installed one on
    PYTHONPATH: the editable install's finder comes after the path entries)."""
    tree = scratch / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", rev, *PACKAGE_FOLDERS],
                             stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    packages = scratch / "packages"
    packages.mkdir()
    for folder, package in PACKAGE_FOLDERS.items():  # toolkit/ first: it becomes the folder the others go in
        (tree / folder).rename(packages / package)
    return packages


def count_by_code(text: str) -> Counter[str]:
    return Counter(line.split()[1] for line in text.splitlines() if line.startswith("  "))


def compare(reference: str, current: str, reference_name: str) -> int:
    if reference == current:
        print(f"identical: {sum(count_by_code(current).values())} findings")
        return 0
    before, after = count_by_code(reference), count_by_code(current)
    for code in sorted(before | after):
        if before[code] != after[code]:
            print(f"{code}: {before[code]} -> {after[code]}")
    sys.stdout.writelines(difflib.unified_diff(reference.splitlines(keepends=True), current.splitlines(keepends=True),
                                               reference_name, "this run"))
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["record", "compare", "package"])
    parser.add_argument("paths", nargs="*", help="what `check` is run on (from the current folder)")
    parser.add_argument("--output", type=Path,
                        help="record: where the canonical findings go (default: stdout); package: the folder")
    parser.add_argument("--reference", type=Path, help="compare: canonical findings recorded earlier")
    parser.add_argument("--report", type=Path, help="record: canonicalise this JSON report instead of running check")
    parser.add_argument("--sqlasync-rev", help="run the sqlasync of this commit instead of the working tree's")
    parser.add_argument("-j", "--jobs", type=int, help="passed to check")
    args = parser.parse_args(argv)

    if args.action == "package":
        if args.sqlasync_rev is None or args.output is None:
            parser.error("package needs --sqlasync-rev REV and --output FOLDER")
        args.output.mkdir(parents=True, exist_ok=True)
        print(_package_at(args.sqlasync_rev, args.output))
        return 0
    if not args.paths:
        parser.error(f"{args.action} needs the paths to check")
    if args.report is not None:
        report = json.loads(args.report.read_text(encoding="utf-8"))
    else:
        report = run_check(args.paths, args.jobs, args.sqlasync_rev)
    text = canonical(report)
    if args.action == "record":
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.write_text(text, encoding="utf-8")
            print(f"{sum(count_by_code(text).values())} findings recorded in {args.output}")
        return 0
    if args.reference is None:
        parser.error("compare needs --reference FILE")
    return compare(args.reference.read_text(encoding="utf-8"), text, str(args.reference))


if __name__ == "__main__":
    sys.exit(main())
