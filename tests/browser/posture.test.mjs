// The HTML posture report in a real browser: Debian's headless Chromium, driven by
// playwright-core (no browser download). `.ci/run` runs it; so can you:
//
//     cargo build && (cd tests/browser && npm ci && npm test)
//
// REGCHECK names the binary (default ../../target/debug/regcheck), CHROMIUM the browser
// (default /usr/bin/chromium). REGCHECK_BENCH_ACCOUNT, when set, names a large account file
// (`cargo run --release --example bench-report -- --write medium FILE`): its report is then
// measured (size, load time) and held to the limits of issue 13 (5 MB, 2 s).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const regcheck = process.env.REGCHECK || join(root, "target/debug/regcheck");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const work = mkdtempSync(join(tmpdir(), "regcheck-browser-"));

// The flags of a quiet, offline, throw-away browser.
const args = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let browser;
let profiles = 0;

/** A fresh browser context with its own profile folder. */
async function context(options = {}) {
  const profile = join(work, `profile-${profiles++}`);
  return chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args, viewport: { width: 1400, height: 1000 },
    deviceScaleFactor: 1, ...options,
  });
}

/** Runs regcheck; returns its standard output. Exit codes 0 and 1 are both reports. */
function run(argv, { cwd = root, expect = [0, 1] } = {}) {
  const result = spawnSync(regcheck, argv, {
    cwd, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 1 << 30,
  });
  assert.ok(expect.includes(result.status),
    `regcheck ${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

function report(name, argv, options) {
  const file = join(work, name);
  writeFileSync(file, run([...argv, "--format", "html"], options));
  return file;
}

/** Opens a page on `file`, recording every request, console error and dialog. */
async function open(ctx, file) {
  const page = await ctx.newPage();
  const seen = { requests: [], errors: [], dialogs: [] };
  page.on("request", (r) => seen.requests.push(r.url()));
  page.on("console", (m) => { if (m.type() === "error") seen.errors.push(m.text()); });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("dialog", async (d) => { seen.dialogs.push(d.message()); await d.dismiss(); });
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: "load" });
  return { page, seen, url };
}

// The heat map's colours (page.css), by the status the matrix command reports.
const colours = {
  critical: [0x7a, 0x09, 0x16], high: [0xcf, 0x22, 0x2e], medium: [0xe3, 0x62, 0x09],
  low: [0xd4, 0xa7, 0x2c], pass: [0x1a, 0x7f, 0x37], na: [0xd8, 0xde, 0xe4],
  ibm: [0xdd, 0xea, 0xfb], error: [0x66, 0x39, 0xba], none: [0xff, 0xff, 0xff],
};
const allowed = {
  ibm: ["ibm"], pass: ["pass"], not_applicable: ["na"], error: ["error"], not_covered: ["none"],
  fail: ["critical", "high", "medium", "low"],
};

function close(pixel, colour) {
  return pixel.every((value, i) => Math.abs(value - colour[i]) <= 6);
}

let example;
let hostile;

before(async () => {
  example = report("example.html", ["audit", "examples/account.toml", "--as-of", "2026-11-26"]);
  // Hostile names everywhere: the account file's name, the account's name, a custom policy's
  // title, responsibility, documentation, subject and message.
  const payload = "x</style><script>window.pwned=1</script>\"' onmouseover=\"window.pwned=2\" " +
    "<img src=x onerror=\"window.pwned=3\">javascript:window.pwned=4<!--";
  const dir = join(work, "hostile");
  mkdirSync(join(dir, "policies"), { recursive: true });
  mkdirSync(join(dir, "accounts"), { recursive: true });
  const quoted = JSON.stringify(payload);
  writeFileSync(join(dir, "accounts", `${payload.replace(/\//g, "_")}.toml`),
    `schema_version = 1\n[account]\nid = "acct-1"\nname = ${quoted}\n` +
    `captured_at = 2026-11-25T00:00:00Z\n\n[[registries]]\nregion = "us-south"\n`);
  writeFileSync(join(dir, "policies", "ACME-XSS-001.toml"),
    `id = "ACME-XSS-001"\ntitle = ${quoted}\nseverity = "high"\nresponsibility = ${quoted}\n` +
    `for_each = "$.account"\nassert = "false"\nsubject = "acct:{item.name}"\n` +
    `message = "{item.name} is hostile"\n[docs]\nsummary = ${quoted}\nrationale = ${quoted}\n` +
    `remediation = ${quoted}\n`);
  hostile = { file: report("hostile.html", ["audit", "accounts", "--as-of", "2026-11-26", "--policies", "policies"], { cwd: dir }), payload };
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the page loads offline, runs only its own script, and draws the heat map", async () => {
  const ctx = await context();
  try {
    const { page, seen, url } = await open(ctx, example);
    assert.deepEqual(seen.requests, [url], "nothing but the file itself is requested");
    assert.deepEqual(seen.errors, [], "no console error (a CSP refusal would be one)");
    assert.ok(await page.locator("#filters").isVisible(), "the script ran: the filters show");

    // Each cell's colour, read from a screenshot of the table, is the colour of the status that
    // `regcheck responsibilities` reports for that row.
    const matrix = JSON.parse(run(["responsibilities", "examples/account.toml", "--as-of", "2026-11-26", "--format", "json"]));
    const table = page.locator("#heat");
    const png = PNG.sync.read(await table.screenshot());
    const origin = await table.boundingBox();
    const cells = page.locator("#heat tbody tr td.cell");
    const rows = matrix.rows.length;
    assert.ok((await cells.count()) >= rows, "a cell per row of IBM's table");
    for (let i = 0; i < rows; i++) {
      const box = await cells.nth(i).boundingBox();
      const x = Math.round(box.x - origin.x + 4);
      const y = Math.round(box.y - origin.y + 4);
      const at = (y * png.width + x) * 4;
      const pixel = [png.data[at], png.data[at + 1], png.data[at + 2]];
      const status = matrix.rows[i].status[0].status;
      const names = allowed[status];
      assert.ok(names.some((name) => close(pixel, colours[name])),
        `row ${i} (${matrix.rows[i].task}) is ${status} but its cell is rgb(${pixel})`);
    }
    // The example's Tokyo registry has no route: tracking events is critical.
    const tracking = page.locator("#heat tr", { hasText: "Tracking events" }).locator("td.cell");
    assert.match(await tracking.innerText(), /critical · \d+/);
  } finally {
    await ctx.close();
  }
});

test("a click on a heat-map cell, a rule and a finding shows the finding's lines", async () => {
  const ctx = await context();
  try {
    const { page } = await open(ctx, example);
    const duty = page.locator("#heat tr", { hasText: "Tracking events" }).locator("td.cell a");
    const target = (await duty.getAttribute("href")).slice(1);
    const rule = page.locator(`#${target} details.rule[data-state="fail"]`).first();
    const finding = rule.locator("details.finding").first();
    const lines = finding.locator("pre.src");
    assert.equal(await lines.isVisible(), false, "closed at first");

    await duty.click();
    assert.equal(await page.locator(`#${target}`).getAttribute("open"), "");
    await rule.locator("> summary").click();
    await finding.locator("> summary").click();
    assert.ok(await lines.isVisible(), "the finding's source lines are visible");
    assert.match(await lines.innerText(), /region = "jp-tok"/);
    assert.equal(await lines.locator("mark").innerText(), "region");
    assert.ok(await finding.locator(".fix").isVisible(), "the fix block is in the finding");
  } finally {
    await ctx.close();
  }
});

test("the filters hide what does not match", async () => {
  const ctx = await context();
  try {
    const { page } = await open(ctx, example);
    const visible = () => page.locator("details.finding:not(.hide)").count();
    const all = await visible();
    assert.ok(all > 3);
    await page.selectOption("select[name=severity]", "3");
    const critical = await page.locator("details.finding summary .badge.s-critical").count();
    assert.equal(await visible(), critical);
    assert.match(await page.locator("#shown").innerText(), new RegExp(`^${critical} finding`));
    assert.equal(await page.locator("details.rule:not(.hide)[data-sev='1']").count(), 0, "no medium rule left");
    await page.click("button[type=reset]");
    await page.waitForFunction((n) => document.querySelectorAll("details.finding:not(.hide)").length === n, all);
    await page.uncheck("input[name=fail]");
    assert.equal(await visible(), 0, "the example's findings all fail");
  } finally {
    await ctx.close();
  }
});

test("without JavaScript the summary reads and the drill-down opens", async () => {
  const ctx = await context({ javaScriptEnabled: false });
  try {
    const { page } = await open(ctx, example);
    assert.equal(await page.locator("#filters").isVisible(), false, "no filters without script");
    assert.ok(await page.locator("#heat").isVisible());
    assert.ok(await page.locator("#verdict").isVisible());
    const rule = page.locator("details.duty[open] details.rule[data-state='fail']").first();
    await rule.locator("> summary").click();
    const finding = rule.locator("details.finding").first();
    await finding.locator("> summary").click();
    assert.ok(await finding.locator("pre.src").isVisible());
  } finally {
    await ctx.close();
  }
});

test("hostile names are shown as text and inject nothing", async () => {
  const ctx = await context();
  try {
    const { page, seen } = await open(ctx, hostile.file);
    // Open everything, and move the mouse over and click every element: an injected handler
    // would fire.
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
    await page.evaluate(() => document.querySelectorAll("body *").forEach((e) => {
      for (const type of ["mouseover", "mouseenter", "focus"]) e.dispatchEvent(new Event(type, { bubbles: true }));
    }));
    await page.locator("th.acct").first().hover();
    await page.locator("th.acct").first().click();
    assert.equal(await page.evaluate(() => window.pwned), undefined, "no injected script ran");
    assert.deepEqual(seen.dialogs, []);
    assert.deepEqual(seen.errors, []);
    assert.equal(await page.locator("script").count(), 1, "one script: the page's own");
    assert.equal(await page.locator("img").count(), 0);
    const handlers = await page.evaluate(() => [...document.querySelectorAll("*")]
      .flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith("on")));
    assert.deepEqual(handlers, []);
    const links = await page.evaluate(() => [...document.querySelectorAll("a")].map((a) => a.getAttribute("href")));
    assert.ok(links.every((href) => href.startsWith("#")), `links stay in the page: ${links}`);
    // The payload is there, as text.
    assert.ok((await page.title()).includes(hostile.payload));
    assert.ok((await page.locator("th.acct").first().innerText()).includes("<script>window.pwned=1</script>"));
  } finally {
    await ctx.close();
  }
});

test("a 10,000-image account's report is under 5 MB and loads in under 2 s", { skip: !process.env.REGCHECK_BENCH_ACCOUNT }, async (t) => {
  const account = resolve(process.env.REGCHECK_BENCH_ACCOUNT);
  const file = report("large.html", ["audit", account, "--as-of", "2026-11-26"]);
  const bytes = statSync(file).size;
  t.diagnostic(`report size: ${bytes} bytes (${(bytes / 1e6).toFixed(2)} MB)`);
  assert.ok(bytes < 5_000_000, `${bytes} bytes`);
  const timings = [];
  for (let i = 0; i < 3; i++) {
    const ctx = await context();
    try {
      const page = await ctx.newPage();
      const start = Date.now();
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const wall = Date.now() - start;
      const [navigation] = await page.evaluate(() => performance.getEntriesByType("navigation").map((n) => n.toJSON()));
      const paint = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
      timings.push({ wall, load: Math.round(navigation.loadEventEnd), paint: paint && Math.round(paint) });
    } finally {
      await ctx.close();
    }
  }
  t.diagnostic(`load times (goto wall ms / loadEventEnd ms / first contentful paint ms): ${JSON.stringify(timings)}`);
  const median = timings.map((x) => x.wall).sort((a, b) => a - b)[1];
  assert.ok(median < 2000, `median ${median} ms`);
});
