#!/usr/bin/env python3
"""Compares regcheck's secret detector with detect-secrets 1.5.0 on the labelled corpus.

    python3 tools/secrets-corpus/compare-detect-secrets.py

What it does:
1. installs detect-secrets==1.5.0 into a venv under ~/.cache/regcheck-secrets-corpus (once);
2. writes each case of tests/fixtures/secrets/corpus.jsonl as a small file in a temp dir, in the
   form detect-secrets would see it:
     env     `NAME=value` in <id>/env.properties
     label   `name=value` in <id>/labels.properties
             (a config-file extension: detect-secrets' keyword plugin then accepts unquoted
             values, its most favourable mode; with `.env` it would require quotes)
     history the created_by line in <id>/Dockerfile
     path    an empty file at <id>/<path> (detect-secrets judges contents, never file names)
3. runs `detect-secrets scan -n --all-files .` in that dir: -n (--no-verify) always, so no plugin
   ever calls out to a service;
4. runs regcheck's corpus test in release mode, which writes each case's detected kinds to a
   report file (ids and kind ids only, never values):
     REGCHECK_SECRETS_REPORT=FILE cargo test --release --test secrets_corpus corpus_precision_and_recall
5. prints precision and recall on the secret / non-secret decision for both, per place and
   overall, and lists the cases each tool gets wrong (ids only).

Needs python3 with venv, and pip access to PyPI the first time.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "secrets" / "corpus.jsonl"
VENV = pathlib.Path.home() / ".cache" / "regcheck-secrets-corpus" / "venv"
DETECT_SECRETS_VERSION = "1.5.0"
PLACES = ["env", "label", "history", "path"]


def detect_secrets_bin():
    exe = VENV / "bin" / "detect-secrets"
    if exe.exists():
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
        if out == DETECT_SECRETS_VERSION:
            return exe
    print(f"installing detect-secrets=={DETECT_SECRETS_VERSION} into {VENV}", file=sys.stderr)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "--quiet", f"detect-secrets=={DETECT_SECRETS_VERSION}"],
        check=True,
    )
    return exe


def load_cases():
    with CORPUS.open() as f:
        return [json.loads(line) for line in f if line.strip()]


def write_case(base, case):
    d = base / case["id"]
    d.mkdir(parents=True)
    where = case["where"]
    if where == "env":
        (d / "env.properties").write_text(case["entry"] + "\n")
    elif where == "label":
        (d / "labels.properties").write_text(f"{case['name']}={case['value']}\n")
    elif where == "history":
        (d / "Dockerfile").write_text(case["line"] + "\n")
    elif where == "path":
        target = d / case["path"].lstrip("/")
        if case["path"].endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
    else:
        raise ValueError(f"unknown place {where}")


def run_detect_secrets(exe, base):
    out = subprocess.run(
        [str(exe), "scan", "-n", "--all-files", "."],
        cwd=base,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = defaultdict(set)
    for path, secrets in json.loads(out)["results"].items():
        case_id = pathlib.PurePath(path).parts[0]
        for s in secrets:
            found[case_id].add(s["type"])
    return found


def run_regcheck(report):
    env = dict(os.environ, REGCHECK_SECRETS_REPORT=str(report))
    proc = subprocess.run(
        ["cargo", "test", "--quiet", "--release", "--test", "secrets_corpus", "corpus_precision_and_recall"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not report.exists():
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("the regcheck corpus test failed")
    found = {}
    for line in report.read_text().splitlines():
        row = json.loads(line)
        found[row["id"]] = set(row["detected"])
    return found


def score(cases, detected):
    counts = {p: Counter() for p in PLACES + ["all", "all but path"]}
    wrong = []
    for c in cases:
        truth, pred = bool(c["expect"]), bool(detected.get(c["id"]))
        cell = {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}[(truth, pred)]
        for key in (c["where"], "all") + (() if c["where"] == "path" else ("all but path",)):
            counts[key][cell] += 1
        if cell in ("fp", "fn"):
            wrong.append((cell, c["id"], sorted(detected.get(c["id"], ()))))
    return counts, wrong


def ratio(a, b):
    return a / b if b else 1.0


def main():
    cases = load_cases()
    exe = detect_secrets_bin()
    with tempfile.TemporaryDirectory(prefix="regcheck-secrets-") as tmp:
        base = pathlib.Path(tmp) / "cases"
        base.mkdir()
        for c in cases:
            write_case(base, c)
        ds = run_detect_secrets(exe, base)
        rc = run_regcheck(pathlib.Path(tmp) / "regcheck.jsonl")

    results = {"regcheck": score(cases, rc), f"detect-secrets {DETECT_SECRETS_VERSION}": score(cases, ds)}
    secrets = sum(1 for c in cases if c["expect"])
    print(f"{len(cases)} corpus cases, {secrets} secrets, {len(cases) - secrets} non-secrets\n")
    print(f"| {'place':<12} | {'cases':>5} | {'regcheck P':>10} | {'regcheck R':>10} | {'detect-secrets P':>16} | {'detect-secrets R':>16} |")
    print(f"|{'-' * 14}|{'-' * 7}|{'-' * 12}|{'-' * 12}|{'-' * 18}|{'-' * 18}|")
    (rc_counts, rc_wrong), (ds_counts, ds_wrong) = results.values()
    for place in PLACES + ["all but path", "all"]:
        r, d = rc_counts[place], ds_counts[place]
        n = sum(r.values())
        print(
            f"| {place:<12} | {n:>5} | {ratio(r['tp'], r['tp'] + r['fp']):>10.3f} | {ratio(r['tp'], r['tp'] + r['fn']):>10.3f} "
            f"| {ratio(d['tp'], d['tp'] + d['fp']):>16.3f} | {ratio(d['tp'], d['tp'] + d['fn']):>16.3f} |"
        )
    for name, (counts, wrong) in results.items():
        a = counts["all"]
        print(f"\n{name}: tp {a['tp']}, fp {a['fp']}, fn {a['fn']}, tn {a['tn']}")
        for cell, case_id, kinds in wrong:
            print(f"  {cell} {case_id}" + (f"  ({', '.join(kinds)})" if kinds else ""))
    plugin_counts = Counter(t for types in ds.values() for t in types)
    print("\ndetect-secrets findings by plugin (cases):")
    for t, n in plugin_counts.most_common():
        print(f"  {n:>4}  {t}")


if __name__ == "__main__":
    main()
