#!/usr/bin/env python3
"""Writes the bash `run:` steps of an action.yml or workflow files as scripts, for shellcheck.

GitHub substitutes `${{ … }}` expressions before bash sees a step, so each becomes a plain word
here. Steps with another shell (pwsh on Windows runners) are left out.

Usage: run-steps.py OUT_DIR FILE...
"""

import os
import re
import sys

import yaml


def steps_of(document):
    if "runs" in document:
        return document["runs"].get("steps", [])
    return [step for job in document.get("jobs", {}).values() for step in job.get("steps", [])]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    written = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        for index, step in enumerate(steps_of(document)):
            if "run" not in step or step.get("shell", "bash") != "bash":
                continue
            text = re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", step["run"])
            name = "%s-step-%d.sh" % (path.replace("/", "_").replace(".", "_"), index)
            with open(os.path.join(out, name), "w", encoding="utf-8") as handle:
                handle.write("#!/usr/bin/env bash\n" + text)
            written += 1
    print("%d run steps written to %s" % (written, out))


if __name__ == "__main__":
    main()
