#!/usr/bin/env python3
"""Runs action.yml's own `run:` steps the way the Actions runner would, without GitHub.

A stand-in for the runner's composite-action executor, enough for this Action: it evaluates
`${{ inputs.* }}`, `${{ steps.*.outputs.* }}`, `${{ github.action_path }}` and `${{ runner.* }}`
(any other expression is an error, so a typo in action.yml fails here), gives each step the
GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY and RUNNER_TEMP files and variables, runs it with
`bash --noprofile --norc -eo pipefail` as GitHub does for `shell: bash`, and skips the `uses:`
steps (cache and upload-sarif, which need GitHub's services), reporting them.

Usage: run-action.py ACTION_YML WORKDIR INPUTS_JSON EXTRA_ENV_JSON
Prints a JSON object: the exit status of the last step, the outputs of every step, the step
summary, and the standard output of each step. Exit status 0 unless the runner itself failed.
"""

import json
import os
import platform
import re
import subprocess
import sys
import tempfile

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(expression, context):
    parts = expression.split(".")
    if parts[0] == "inputs" and len(parts) == 2:
        if parts[1] not in context["inputs"]:
            raise KeyError("unknown input %r" % parts[1])
        return context["inputs"][parts[1]]
    if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
        return context["steps"].get(parts[1], {}).get(parts[3], "")
    if expression == "github.action_path":
        return context["action_path"]
    if parts[0] == "runner" and len(parts) == 2 and parts[1] in ("os", "arch", "temp"):
        return context["runner"][parts[1]]
    raise KeyError("expression not supported by this stand-in: %r" % expression)


def substitute(text, context):
    return EXPRESSION.sub(lambda m: str(evaluate(m.group(1), context)), str(text))


def read_key_values(path):
    values = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.rstrip("\n")
                if "=" in line:
                    key, value = line.split("=", 1)
                    values[key] = value
    return values


def main():
    action_file, workdir, inputs_json, env_json = sys.argv[1:5]
    with open(action_file, encoding="utf-8") as handle:
        action = yaml.safe_load(handle)
    given = json.loads(inputs_json)
    inputs = {}
    for name, spec in action["inputs"].items():
        inputs[name] = given.pop(name, spec.get("default", ""))
    if given:
        raise SystemExit("unknown inputs: %s" % ", ".join(given))
    temp = tempfile.mkdtemp(prefix="run-action-")
    machine = platform.machine().lower()
    context = {
        "inputs": inputs,
        "steps": {},
        "action_path": os.path.dirname(os.path.abspath(action_file)),
        "runner": {
            "os": "Linux",
            "arch": "ARM64" if machine in ("aarch64", "arm64") else "X64",
            "temp": temp,
        },
    }
    summary = os.path.join(temp, "step-summary.md")
    path_file = os.path.join(temp, "path")
    open(summary, "w").close()
    open(path_file, "w").close()
    extra_env = json.loads(env_json)
    result = {"steps": {}, "skipped": [], "stdout": {}, "status": 0}
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", "step%d" % index)
        if "uses" in step:
            result["skipped"].append(step["uses"])
            continue
        if step.get("shell") != "bash":
            raise SystemExit("step %s: only shell: bash is supported" % step_id)
        output_file = os.path.join(temp, "output-%d" % index)
        open(output_file, "w").close()
        env = dict(os.environ)
        env.update(extra_env)
        extra_path = [p for p in open(path_file).read().splitlines() if p]
        env["PATH"] = os.pathsep.join(list(reversed(extra_path)) + [env.get("PATH", "")])
        env.update({
            "GITHUB_ACTION_PATH": context["action_path"],
            "GITHUB_OUTPUT": output_file,
            "GITHUB_PATH": path_file,
            "GITHUB_STEP_SUMMARY": summary,
            "RUNNER_TEMP": temp,
            "RUNNER_OS": context["runner"]["os"],
            "RUNNER_ARCH": context["runner"]["arch"],
            "GITHUB_ACTIONS": "true",
        })
        for key, value in (step.get("env") or {}).items():
            env[key] = substitute(value, context)
        script = os.path.join(temp, "step-%d.sh" % index)
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(substitute(step["run"], context))
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
            cwd=workdir, env=env, capture_output=True, text=True)
        sys.stderr.write(completed.stderr)
        result["stdout"][step_id] = completed.stdout
        outputs = read_key_values(output_file)
        context["steps"][step_id] = outputs
        result["steps"][step_id] = outputs
        result["status"] = completed.returncode
        if completed.returncode != 0:
            break
    with open(summary, encoding="utf-8") as handle:
        result["summary"] = handle.read()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
