// A short typed flow against a live server with the generated TypeScript client only
// (openapi-typescript types + openapi-fetch): register, log in, create and submit an
// activity, approve it as a moderator, find it on the public listing with filters, read a
// revision's changed fields in the queue, and receive a typed 409 problem.
// Compiled with `tsc --strict`; run by clients/run with API_BASE, ADMIN_EMAIL, ADMIN_PASSWORD.
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/schema.js";

type Schemas = components["schemas"];

const base = need("API_BASE");
const anonymous = createClient<paths>({ baseUrl: base });
const as = (token: string) => createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${token}` } });

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

/** The body of a successful answer, or an error naming the step and the problem. */
function ok<T>(r: { data?: T; error?: unknown; response: Response }, step: string): T {
  if (r.data === undefined) throw new Error(`${step}: HTTP ${r.response.status} ${JSON.stringify(r.error)}`);
  console.log(`ok   ${step} (${r.response.status})`);
  return r.data;
}

const stamp = `ts${Date.now().toString(36)}`;
const email = `${stamp}@example.jp`;
const password = "typescript-client-pw";

const registered: Schemas["Registered"] = ok(
  await anonymous.POST("/api/v1/auth/register", {
    body: { email, password, kind: "organization", display_name: "株式会社型付きクライアント", industry: "G", prefecture: "13" },
  }),
  "register",
);
check(registered.account.kind === "organization", "the account is an organization");

const tokens: Schemas["TokenPair"] = ok(await anonymous.POST("/api/v1/auth/login", { body: { email, password } }), "login");
const registrant = as(tokens.access_token);

const title = `型付きクライアントで学ぶテレワーク ${stamp}`;
const draft: Schemas["ActivityOut"] = ok(
  await registrant.POST("/api/v1/activities", {
    body: {
      campaign: "demo",
      categories: ["learn_discuss"],
      title,
      description: "生成したTypeScriptクライアントから登録しました。",
      format: "online",
      prefecture: "13",
      url: "https://example.jp/typescript",
    },
  }),
  "create activity",
);
const draftStatus: Schemas["Status"] = draft.status;
check(draftStatus === "draft", "a new activity is a draft");

const submitted = ok(
  await registrant.POST("/api/v1/activities/{id}/submit", { params: { path: { id: draft.id } }, body: { version: draft.version } }),
  "submit",
);
check(submitted.status === "pending", "a submitted activity is pending");

const adminTokens = ok(
  await anonymous.POST("/api/v1/auth/login", { body: { email: need("ADMIN_EMAIL"), password: need("ADMIN_PASSWORD") } }),
  "moderator login",
);
const moderator = as(adminTokens.access_token);
const approved: Schemas["ModerationActivity"] = ok(
  await moderator.POST("/api/v1/moderation/activities/{id}/approve", {
    params: { path: { id: draft.id } },
    body: { version: submitted.version },
  }),
  "approve",
);
check(approved.status === "approved" && approved.owner.email === email, "approved, with the owner's contact");

const listing: Schemas["PublicPage"] = ok(
  await anonymous.GET("/api/v1/public/activities", {
    params: { query: { campaign: "demo", category: ["learn_discuss"], kind: "organization", q: stamp } },
  }),
  "public listing with filters",
);
const listed: Schemas["PublicActivity"] | undefined = listing.items.find((a) => a.id === draft.id);
check(listing.total === 1 && listed !== undefined && listed.title === title, "the approved activity is listed");
const categories: Schemas["Category"][] = listed.categories;
check(categories.join() === "learn_discuss", "its categories");

// An edit of an approved activity waits as a revision; the queue shows old → new.
const edited = ok(
  await registrant.PATCH("/api/v1/activities/{id}", {
    params: { path: { id: draft.id } },
    body: { version: approved.version, title: `${title}（改訂）`, categories: ["learn_discuss", "support_cooperate"] },
  }),
  "edit (revision)",
);
check(edited.pending_revision?.title === `${title}（改訂）`, "the revision is pending");
let change: { title?: Schemas["FieldChange"]; categories?: Schemas["FieldChange"] } = {};
let cursor: string | undefined;
for (let pages = 0; pages < 50 && !change.title; pages++) {
  const queue: Schemas["Page_QueueItem"] = ok(
    await moderator.GET("/api/v1/moderation/queue", { params: { query: { campaign: "demo", limit: 100, cursor } } }),
    "moderation queue",
  );
  const item = queue.items.find((i) => i.activity.id === draft.id);
  if (item) {
    const kind: Schemas["QueueItemKind"] = item.kind;
    check(kind === "revision", "the queue item is a revision");
    change = {
      title: item.changes.find((c) => c.field === "title"),
      categories: item.changes.find((c) => c.field === "categories"),
    };
  }
  if (!queue.next_cursor) break;
  cursor = queue.next_cursor;
}
const oldTitle: string | string[] | null | undefined = change.title?.old;
check(oldTitle === title, "the revision's old title is text");
const newCategories = change.categories?.new;
check(Array.isArray(newCategories) && newCategories.join() === "learn_discuss,support_cooperate", "categories old → new are lists");

// Approving with the version seen before the edit: a typed 409 problem with the activity.
const stale = await moderator.POST("/api/v1/moderation/activities/{id}/approve", {
  params: { path: { id: draft.id } },
  body: { version: submitted.version },
});
check(stale.response.status === 409 && stale.data === undefined, "a stale decision is refused with 409");
const problem: Schemas["Problem"] | undefined = stale.error;
check(problem !== undefined && problem.code === "version_conflict" && problem.status === 409, `a version_conflict problem: ${JSON.stringify(problem)}`);
const current = problem.current;
check(current != null && "status" in current && current.id === draft.id && current.version === edited.version, "current is the activity as it is now");
console.log("ok   typed 409 problem (version_conflict, with current)");
console.log("TypeScript client flow: 1 passed, 0 failed");
