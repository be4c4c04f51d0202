// Helpers of the widget's browser tests: seed data made through the API, the hostile CSS,
// and the layout measurement compared with and without it.

/** CSS a careless or hostile host page might set globally. */
export const HOSTILE_CSS = `
:root { font-size: 5px !important; }
* {
  box-sizing: content-box !important; margin: 13px !important; padding: 17px !important;
  font: italic 31px/0.7 "Courier New", serif !important; color: #f0f !important;
  background: #ff0 !important; letter-spacing: 6px !important; word-spacing: 20px !important;
  text-transform: uppercase !important; text-align: right !important; white-space: nowrap !important;
  text-shadow: 2px 2px red !important; text-indent: 40px !important; line-height: 0.7 !important;
  list-style: square inside !important; cursor: wait !important;
}
ul, ol, li, section, article, form, div, p, h3 { display: inline !important; }
button, input { all: unset !important; border: 9px dotted red !important; }
a { color: lime !important; text-decoration: line-through !important; }
telework-activities { font-size: 40px !important; font-weight: 900 !important; }
`;

/** Sizes and type of the widget's parts, relative to the widget. */
export async function measureLayout(page) {
  return page.evaluate(() => {
    const root = document.querySelector("telework-activities").shadowRoot;
    const origin = root.querySelector(".root").getBoundingClientRect();
    const box = (e) => {
      const r = e.getBoundingClientRect();
      const round = (v) => Math.round(v * 2) / 2;
      return { x: round(r.x - origin.x), y: round(r.y - origin.y), width: round(r.width), height: round(r.height) };
    };
    const type = (e) => {
      const s = getComputedStyle(e);
      return [s.fontSize, s.fontStyle, s.fontWeight, s.lineHeight, s.color, s.letterSpacing, s.textTransform, s.whiteSpace].join(" ");
    };
    return {
      input: box(root.querySelector("input")),
      chips: [...root.querySelectorAll(".filters button")].map(box),
      cards: [...root.querySelectorAll("li.card")].map(box),
      title: type(root.querySelector("h3")),
      organizer: type(root.querySelector(".org")),
      more: box(root.querySelector(".more")),
    };
  });
}

async function call(api, method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${api}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** Registers, submits and approves an activity whose title holds markup; returns it. */
export async function seedScriptActivity(api) {
  const stamp = `xss${Date.now().toString(36)}`;
  const title = `<script>window.__pwned=1</script><img src=x onerror=alert(2)> ${stamp}`;
  const email = `${stamp}@example.jp`;
  const password = "browser-test-password";
  await call(api, "POST", "/api/v1/auth/register", {
    email,
    password,
    kind: "organization",
    display_name: "株式会社<b>タグ</b>",
    industry: "G",
    prefecture: "13",
  });
  const owner = (await call(api, "POST", "/api/v1/auth/login", { email, password })).access_token;
  const admin = (
    await call(api, "POST", "/api/v1/auth/login", { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD })
  ).access_token;
  const draft = await call(
    api,
    "POST",
    "/api/v1/activities",
    { campaign: "demo", categories: ["try_practice"], title, description: "マークアップを含む題名の表示確認。" },
    owner,
  );
  const pending = await call(api, "POST", `/api/v1/activities/${draft.id}/submit`, { version: draft.version }, owner);
  await call(api, "POST", `/api/v1/moderation/activities/${draft.id}/approve`, { version: pending.version }, admin);
  return { title, stamp };
}
