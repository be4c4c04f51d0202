// The widget in headless Chromium (Debian's, driven by playwright-core) against a live,
// seeded server (API_BASE; clients/run starts it), on host pages served from another origin
// (a second local port). Writes a screenshot of the landing page to SCREENSHOT_DIR.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { HOSTILE_CSS, measureLayout, seedScriptActivity } from "./helpers.mjs";

const API = process.env.API_BASE;
const SHOTS = process.env.SCREENSHOT_DIR || "screenshots";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let browser;
let hostServer;
let HOST;
let scriptTitle;
const pages = new Map();
const consoleProblems = [];

/** A partner's page on the host origin with the widget; `attrs` are its attributes. */
function partnerPage(path, attrs, css = "") {
  pages.set(
    path,
    `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>Partner</title><link rel="icon" href="data:,">
<style>#slot telework-activities { display: block; width: 960px; } ${css}</style>
<script src="${API}/widget.js" async></script></head>
<body><h1>Partner page</h1><p>Some text of the partner.</p>
<div id="slot"><telework-activities ${attrs}></telework-activities></div></body></html>`,
  );
  return `${HOST}${path}`;
}

async function open(url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (m) => {
    if (m.type() === "error") consoleProblems.push(`${url}: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => consoleProblems.push(`${url}: ${e.message}`));
  await page.goto(url);
  return page;
}

/** Waits until the widget (in `frame`, a page or an iframe) has finished loading. */
async function ready(frame) {
  await frame.waitForFunction(() => {
    const s = document.querySelector("telework-activities")?.shadowRoot?.querySelector("section");
    return s && s.dataset.state === "ready";
  });
}

async function cards(frame) {
  return frame.evaluate(() =>
    [...document.querySelector("telework-activities").shadowRoot.querySelectorAll("li.card")].map((li) => ({
      id: li.dataset.id,
      title: li.querySelector("h3").textContent,
      categories: [...li.querySelectorAll(".cat")].map((c) => c.dataset.code),
      labels: [...li.querySelectorAll(".cat")].map((c) => c.textContent),
      organizer: li.querySelector(".org").firstChild.textContent,
    })),
  );
}

async function apiIds(query) {
  const r = await fetch(`${API}/api/v1/public/activities?${new URLSearchParams(query)}`);
  assert.equal(r.status, 200);
  const page = await r.json();
  return { ids: page.items.map((a) => a.id), total: page.total, next: page.next_cursor };
}

before(async () => {
  assert.ok(API, "API_BASE is set");
  scriptTitle = await seedScriptActivity(API);
  hostServer = http.createServer((req, res) => {
    const body = pages.get(new URL(req.url, "http://x").pathname);
    res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(body || "");
  });
  await new Promise((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
  HOST = `http://127.0.0.1:${hostServer.address().port}`;
  assert.notEqual(new URL(HOST).origin, new URL(API).origin);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
});

after(async () => {
  await browser?.close();
  hostServer?.close();
});

test("widget.js is served from the binary, small and cacheable", async () => {
  const r = await fetch(`${API}/widget.js`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/javascript/);
  const body = Buffer.from(await r.arrayBuffer());
  const gz = gzipSync(body).length;
  assert.ok(gz <= 20 * 1024, `widget.js is ${gz} bytes gzipped`);
  assert.doesNotMatch(body.toString(), /innerHTML|insertAdjacentHTML|document\.write/);
  const again = await fetch(`${API}/widget.js`, { headers: { "if-none-match": r.headers.get("etag") } });
  assert.equal(again.status, 304);
});

test("renders the first page on a host page of another origin", async () => {
  const page = await open(partnerPage("/first", 'campaign="demo" limit="8"'));
  await ready(page);
  const shown = await cards(page);
  const expected = await apiIds({ campaign: "demo", limit: 8 });
  assert.deepEqual(shown.map((c) => c.id), expected.ids);
  assert.equal(shown.length, 8);
  for (const c of shown) {
    assert.ok(c.title && c.organizer, "a card shows title and organizer");
    assert.ok(c.labels.every((l) => l.startsWith("テレワークを")), `category chips have Japanese labels: ${c.labels}`);
  }
  // Landmarks and labels: a named region, a search form whose box has a label, pressed chips.
  await page.getByRole("region", { name: "テレワーク月間の登録取組" }).waitFor();
  await page.getByRole("search").getByLabel("キーワードで探す").waitFor();
  assert.equal(await page.getByRole("button", { name: "テレワークを学ぶ/議論する" }).getAttribute("aria-pressed"), "false");
  const status = await page.getByRole("status").textContent();
  assert.equal(status, `${expected.total.toLocaleString("ja-JP")}件の取組`);
  await page.close();
});

test("filters by category and by a Japanese search, with keyboard only", async () => {
  const page = await open(partnerPage("/filters", 'campaign="demo" limit="10"'));
  await ready(page);
  const chip = page.getByRole("button", { name: "テレワークを学ぶ/議論する" });
  await chip.focus();
  await page.keyboard.press("Enter");
  await ready(page);
  assert.equal(await chip.getAttribute("aria-pressed"), "true");
  let shown = await cards(page);
  let expected = await apiIds({ campaign: "demo", category: "learn_discuss", limit: 10 });
  assert.deepEqual(shown.map((c) => c.id), expected.ids);
  assert.ok(shown.every((c) => c.categories.includes("learn_discuss")));

  const box = page.getByRole("searchbox", { name: "キーワードで探す" });
  await box.focus();
  await page.keyboard.type("研修");
  await page.keyboard.press("Enter");
  await ready(page);
  shown = await cards(page);
  expected = await apiIds({ campaign: "demo", category: "learn_discuss", q: "研修", limit: 10 });
  assert.ok(expected.total > 0, "the seed has activities about 研修");
  assert.deepEqual(shown.map((c) => c.id), expected.ids);
  await page.close();
});

test("pages with more until the end without repeats", async () => {
  const query = { campaign: "demo", category: "support_cooperate" };
  const { total } = await apiIds({ ...query, limit: 1 });
  assert.ok(total > 10, `enough activities to page through (${total})`);
  const page = await open(partnerPage("/more", 'campaign="demo" category="support_cooperate" limit="7"'));
  await ready(page);
  const more = page.getByRole("button", { name: "もっと見る" });
  for (let clicks = 0; (await more.isVisible()) && clicks < 100; clicks++) {
    const before = (await cards(page)).length;
    await more.click();
    await ready(page);
    const focused = await page.evaluate(() => {
      const root = document.querySelector("telework-activities").shadowRoot;
      return root.activeElement?.closest("li.card")?.dataset.id;
    });
    assert.equal(focused, (await cards(page))[before].id, "focus moves to the first new card");
  }
  const ids = (await cards(page)).map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, "no card repeats");
  assert.equal(ids.length, total, "every matching activity is shown once");
  await page.close();
});

test("an activity whose title contains <script> shows it as text", async () => {
  const page = await open(partnerPage("/xss", `q="${scriptTitle.stamp}"`));
  await ready(page);
  const shown = await cards(page);
  assert.equal(shown.length, 1);
  assert.equal(shown[0].title, scriptTitle.title);
  const injected = await page.evaluate(() => ({
    pwned: window.__pwned,
    scripts: document.querySelector("telework-activities").shadowRoot.querySelectorAll("script, img").length,
  }));
  assert.deepEqual(injected, { pwned: undefined, scripts: 0 });
  await page.close();
});

test("keeps its layout when the host page sets hostile global CSS", async () => {
  const attrs = 'campaign="demo" limit="6"';
  const plain = await open(partnerPage("/layout-plain", attrs));
  const hostile = await open(partnerPage("/layout-hostile", attrs, HOSTILE_CSS));
  await Promise.all([ready(plain), ready(hostile)]);
  const [a, b] = [await measureLayout(plain), await measureLayout(hostile)];
  assert.ok(a.cards.length === 6 && a.cards.every((c) => c.width > 200 && c.height > 60), JSON.stringify(a));
  assert.deepEqual(b, a);
  await plain.close();
  await hostile.close();
});

test("the embed page works in an iframe on another origin, in English", async () => {
  const r = await fetch(`${API}/embed?campaign=demo`);
  assert.match(r.headers.get("content-security-policy"), /frame-ancestors \*/);
  pages.set(
    "/iframe",
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title><link rel="icon" href="data:,"></head><body>
<iframe src="${API}/embed?campaign=demo&amp;category=learn_discuss&amp;lang=en&amp;limit=4" title="Telework Month" width="900" height="700"></iframe></body></html>`,
  );
  const page = await open(`${HOST}/iframe`);
  const frame = await (await page.waitForSelector("iframe")).contentFrame();
  await ready(frame);
  const shown = await cards(frame);
  assert.equal(shown.length, 4);
  assert.ok(shown.every((c) => c.labels.includes("Learn about / discuss telework")));
  assert.equal(await frame.getByRole("button", { name: "Show more" }).isVisible(), true);
  assert.equal(await frame.evaluate(() => document.querySelector("telework-activities").shadowRoot.querySelector(".root").lang), "en");
  await page.close();
});

test("the landing page shows the widget and links to the docs (screenshot)", async () => {
  const page = await open(`${API}/`);
  await ready(page);
  assert.equal((await cards(page)).length, 6);
  assert.equal(await page.getByRole("link", { name: /API ドキュメント/ }).getAttribute("href"), "docs/");
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/landing.png`, fullPage: true });
  console.log(`screenshot: ${SHOTS}/landing.png`);
  await page.close();
});

test("no console errors on any page", () => {
  assert.deepEqual(consoleProblems, []);
});
