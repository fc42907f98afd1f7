/*
 * tests/ui/check-ui.js: drive the web UI in headless Chromium (Debian's,
 * through playwright-core) and check each page's DOM, that pushed text
 * is shown as text, that the Content-Security-Policy holds, and axe-core
 * (no serious or critical violation).  Run by
 * tests/integration/t0950-ui.sh, which pushes the images and passes:
 *
 *   UI_URL      the registry's base URL
 *   UI_HOST     host:port as pull commands show it
 *   UI_OUT      where screenshots go
 *   UI_READER   "user:password" of a read user
 *   UI_WRITER   "user:password" of a write user
 *   UI_HOSTILE  the label value and annotation with <script> and quotes
 *   CHROMIUM    the browser (default /usr/bin/chromium)
 *
 * Exits 0 if every check passed, 1 otherwise, listing the failures.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"),
    "utf8");

const url = process.env.UI_URL;
const out = process.env.UI_OUT;
const hostile = process.env.UI_HOSTILE;
const failures = [];

function check(ok, what) {
	console.log((ok ? "ok: " : "FAIL: ") + what);
	if (!ok)
		failures.push(what);
}

function creds(s) {
	const i = s.indexOf(":");

	return { username: s.slice(0, i), password: s.slice(i + 1) };
}

/* A page that records CSP violations, dialogs and script errors. */
async function open(ctx) {
	const page = await ctx.newPage();

	page.problems = [];
	page.on("console", (m) => {
		if (/Content.Security.Policy/i.test(m.text()))
			page.problems.push("CSP: " + m.text());
	});
	page.on("pageerror", (e) => page.problems.push("error: " + e));
	page.on("dialog", (d) => {
		page.problems.push("dialog: " + d.message());
		d.dismiss();
	});
	return page;
}

async function visit(page, p, shot) {
	const resp = await page.goto(url + p);

	check(resp.status() === 200, `GET ${p}: ${resp.status()}`);
	if (shot)
		await page.screenshot({ path: path.join(out, shot) });
	await axeCheck(page, p);
	check(page.problems.length === 0,
	    `${p}: no CSP violation, dialog or error ${page.problems}`);
	page.problems = [];
	/* Only ui.js: nothing a pusher wrote became a script. */
	check(await page.locator("script").count() === 1,
	    `${p}: exactly one script element`);
}

async function axeCheck(page, p) {
	await page.evaluate(axeSource);
	const res = await page.evaluate(() => window.axe.run());
	const bad = res.violations.filter((v) =>
	    v.impact === "serious" || v.impact === "critical");

	check(bad.length === 0, `${p}: axe finds nothing serious` +
	    bad.map((v) => ` [${v.id}: ${v.help} ` +
	    v.nodes.map((n) => n.target).join(" ") + "]").join(""));
}

async function cellTexts(page, sel) {
	return page.locator(sel).allTextContents();
}

async function asReader(browser) {
	const ctx = await browser.newContext({
		httpCredentials: creds(process.env.UI_READER),
		viewport: { width: 1100, height: 700 },
	});
	const page = await open(ctx);
	let t;

	await visit(page, "/", "ui-repositories.png");
	t = await cellTexts(page, "#repos tbody tr td:first-child");
	check(t.includes("ui/app") && t.includes("ui/multi"),
	    `repositories list ui/app and ui/multi: ${t}`);
	await page.fill("#q", "multi");
	check(await page.locator("#repos tbody tr:visible").count() === 1,
	    "filter as you type leaves one row");

	await visit(page, "/?q=" + encodeURIComponent(hostile), null);
	check(await page.inputValue("#q") === hostile,
	    "a hostile filter comes back as the input's text");

	await visit(page, "/ui/repo?name=ui/app", "ui-repository.png");
	t = await cellTexts(page, "#tags tbody th");
	check(t.join(",") === "v2,v1", `tags newest push first: ${t}`);
	check(await page.locator("text=Delete").count() === 0,
	    "a read user sees no delete button");
	t = await cellTexts(page, "#tags code.pull");
	check(t.includes(`podman pull ${process.env.UI_HOST}/ui/app:v1`),
	    `pull command: ${t}`);
	check(await page.locator("#tags button.copy").count() === 2,
	    "a copy button per pull command");
	await visit(page, "/ui/repo?name=ui/app&sort=name", null);
	t = await cellTexts(page, "#tags tbody th");
	check(t.join(",") === "v1,v2", `tags by name: ${t}`);

	await visit(page, "/ui/image?name=ui/app&ref=v1", "ui-image.png");
	check(await page.locator("td", { hasText: hostile }).count() === 1,
	    "the hostile label is shown as text");
	check(await page.locator("dl.annotations dd", { hasText: hostile })
	    .count() === 1,
	    "the hostile annotation is shown as text");
	check(await page.locator("#layers tbody tr").count() === 2,
	    "two layers");
	t = await cellTexts(page, "h3");
	check(t.includes("application/vnd.example.signature"),
	    `referrers grouped by artifactType: ${t}`);
	check((await page.textContent("pre.manifest")).includes(
	    '"schemaVersion": 2'), "the manifest, pretty-printed");

	await visit(page, "/ui/image?name=ui/multi&ref=latest", "ui-index.png");
	t = await cellTexts(page, "#platforms tbody td:first-child");
	check(t.join(",") === "linux/amd64,linux/arm64/v8",
	    `platforms: ${t}`);

	await visit(page, "/ui/storage", "ui-storage.png");
	check(await page.locator("svg.chart rect.bar").count() === 2,
	    "a bar per repository");
	t = await page.textContent("#totals");
	check(/Last prune.*UTC: freed/.test(t), `the last prune: ${t}`);
	t = await cellTexts(page, "#largest tbody td:first-child");
	check(t.length === 2, `largest repositories: ${t}`);
	await ctx.close();
}

async function asWriter(browser) {
	const ctx = await browser.newContext({
		httpCredentials: creds(process.env.UI_WRITER),
	});
	const page = await open(ctx);
	let r;

	r = await ctx.request.post(url + "/ui/delete", { form: {
	    name: "ui/app", tag: "v2", csrf: "0".repeat(32) } });
	check(r.status() === 403, `a delete without the cookie: ${r.status()}`);
	await visit(page, "/ui/repo?name=ui/app", null);
	await page.click("a.danger >> nth=0");	/* v2, the newest */
	check((await page.textContent("h1")).includes("v2"),
	    "the confirmation names the tag");
	await axeCheck(page, "/ui/delete");
	await Promise.all([page.waitForURL(/\/ui\/repo\?name=ui\/app$/),
	    page.click("button.danger")]);
	const t = await cellTexts(page, "#tags tbody th");
	check(t.join(",") === "v1", `v2 is gone: ${t}`);
	await ctx.close();
}

/* Without credentials: a Basic challenge, nothing listed. */
async function anonymous(browser) {
	const ctx = await browser.newContext();
	const resp = await ctx.request.get(url + "/");

	check(resp.status() === 401, `anonymous: ${resp.status()}`);
	check((resp.headers()["www-authenticate"] || "").startsWith("Basic"),
	    "a Basic challenge");
	check(!(await resp.text()).includes("ui/app"), "nothing listed");
	await ctx.close();
}

(async () => {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		args: ["--no-sandbox"],
	});

	try {
		await anonymous(browser);
		await asReader(browser);
		await asWriter(browser);
	} catch (e) {
		check(false, "exception: " + (e.stack || e));
	}
	await browser.close();
	if (failures.length > 0) {
		console.log(`${failures.length} failed`);
		process.exit(1);
	}
})();
