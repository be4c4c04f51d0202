/*
 * <telework-activities>: approved Telework Month activities for any page.
 *
 *   <script src="https://REGISTRY/widget.js" async></script>
 *   <telework-activities campaign="2026" category="learn_discuss" lang="en"></telework-activities>
 *
 * Attributes: campaign, category (codes separated by commas or spaces), prefecture ("01"–"47"),
 * kind (organization | individual), q, limit (1–100), lang (ja | en), api-base (defaults to
 * where this script came from). Theme it with CSS custom properties on the element:
 * --tw-font, --tw-text, --tw-muted, --tw-bg, --tw-card-bg, --tw-border, --tw-accent,
 * --tw-accent-text, --tw-focus, --tw-radius, --tw-gap, --tw-card-min.
 * It lives in a Shadow DOM and sets text with textContent only.
 */
(() => {
  "use strict";
  if (!window.customElements || customElements.get("telework-activities")) return;

  const script = document.currentScript;
  const SCRIPT_BASE = script && script.src ? script.src.replace(/\/widget\.js(?:[?#].*)?$/, "") : "";
  // Filled in by the server from its reference data: categories [code, ja, en] and
  // prefectures {code: [ja, en]}.
  const REF = /*REFERENCE*/ { categories: [], prefectures: {} };

  const TEXT = {
    ja: {
      region: "テレワーク月間の登録取組",
      search: "キーワードで探す",
      placeholder: "例：オンライン研修",
      submit: "検索",
      filter: "カテゴリーで絞り込む",
      list: "取組の一覧",
      categories: "カテゴリー",
      loading: "読み込み中…",
      error: "取組を読み込めませんでした。時間をおいてもう一度お試しください。",
      empty: "条件に合う取組はありません。",
      count: (n, atLeast) => `${n.toLocaleString("ja-JP")}件${atLeast ? "以上" : ""}の取組`,
      more: "もっと見る",
      kind: { organization: "団体", individual: "個人" },
      range: "〜",
    },
    en: {
      region: "Telework Month activities",
      search: "Search by keyword",
      placeholder: "e.g. online training",
      submit: "Search",
      filter: "Filter by category",
      list: "Activities",
      categories: "Categories",
      loading: "Loading…",
      error: "The activities could not be loaded. Please try again later.",
      empty: "No activities match.",
      count: (n, atLeast) => `${n.toLocaleString("en")}${atLeast ? "+" : ""} ${n === 1 ? "activity" : "activities"}`,
      more: "Show more",
      kind: { organization: "Organization", individual: "Individual" },
      range: " – ",
    },
  };

  const CSS = `
:host { display: block; }
:host([hidden]) { display: none; }
.root {
  all: initial; display: block; box-sizing: border-box;
  font-family: var(--tw-font, system-ui, -apple-system, "Hiragino Sans", "Noto Sans JP", "Noto Sans CJK JP", "Yu Gothic", Meiryo, sans-serif);
  font-size: 16px; line-height: 1.6; color: var(--tw-text, #1f2328);
  background: var(--tw-bg, transparent); text-align: start; overflow-wrap: anywhere;
}
.root *, .root *::before, .root *::after { box-sizing: border-box; }
.bar { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; }
form { display: flex; gap: 8px; align-items: center; flex: 1 1 320px; margin: 0; }
label { font-size: 14px; font-weight: 600; white-space: nowrap; }
input {
  flex: 1 1 auto; min-width: 0; font: inherit; font-size: 15px; color: inherit;
  padding: 6px 10px; border: 1px solid var(--tw-border, #8c959f);
  border-radius: var(--tw-radius, 8px); background: var(--tw-card-bg, #fff);
}
button {
  font: inherit; font-size: 14px; line-height: 1.4; cursor: pointer; margin: 0;
  padding: 6px 14px; border-radius: var(--tw-radius, 8px);
  border: 1px solid var(--tw-accent, #0b5cad); background: var(--tw-accent, #0b5cad);
  color: var(--tw-accent-text, #fff);
}
button:focus-visible, input:focus-visible, a:focus-visible, article:focus-visible {
  outline: 3px solid var(--tw-focus, #f0a500); outline-offset: 2px;
}
.filters { display: flex; flex-wrap: wrap; gap: 8px; }
.filters button { border-radius: 999px; background: transparent; color: var(--tw-accent, #0b5cad); }
.filters button[aria-pressed="true"] { background: var(--tw-accent, #0b5cad); color: var(--tw-accent-text, #fff); }
.status { margin: 12px 0; font-size: 14px; color: var(--tw-muted, #57606a); }
.cards {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(var(--tw-card-min, 260px), 1fr));
  gap: var(--tw-gap, 16px); list-style: none; margin: 0; padding: 0;
}
.card { display: block; margin: 0; padding: 0; }
article {
  display: flex; flex-direction: column; gap: 6px; height: 100%; margin: 0; padding: 14px 16px;
  background: var(--tw-card-bg, #fff); border: 1px solid var(--tw-border, #d0d7de);
  border-radius: var(--tw-radius, 8px);
}
.org { margin: 0; font-size: 13px; color: var(--tw-muted, #57606a); }
.kind { margin-inline-start: 6px; }
.cats { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; margin: 0; padding: 0; }
.cat {
  display: inline-block; margin: 0; padding: 1px 8px; border-radius: 999px; font-size: 12px;
  background: var(--tw-chip-bg, #e7f0fa); color: var(--tw-chip-text, #0b3d6e);
}
h3 { margin: 2px 0; font-size: 17px; line-height: 1.45; font-weight: 700; }
a { color: var(--tw-accent, #0b5cad); text-decoration: underline; }
.meta { margin: auto 0 0; font-size: 13px; color: var(--tw-muted, #57606a); }
.meta span + span::before { content: "・"; }
.more { display: block; margin: 16px auto 0; }
.more[hidden] { display: none; }
`;

  let sheet = null;
  function adoptStyles(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = CSS;
      root.append(style);
    }
  }

  /** An element with attributes (`text` becomes its textContent) and children. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") e.textContent = String(v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  function words(value) {
    return (value || "").split(/[\s,]+/).filter(Boolean);
  }

  function formatDate(iso, lang) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!m) return "";
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return new Intl.DateTimeFormat(lang === "en" ? "en" : "ja-JP", { dateStyle: "medium", timeZone: "UTC" }).format(d);
  }

  class TeleworkActivities extends HTMLElement {
    static get observedAttributes() {
      return ["campaign", "category", "prefecture", "kind", "q", "limit", "lang", "api-base"];
    }

    constructor() {
      super();
      this._shadow = this.attachShadow({ mode: "open" });
      adoptStyles(this._shadow);
      this._seq = 0;
      this._pending = false;
    }

    connectedCallback() {
      this._schedule();
    }

    attributeChangedCallback() {
      if (this.isConnected) this._schedule();
    }

    /** Rebuilds once for any number of attribute changes in one task. */
    _schedule() {
      if (this._pending) return;
      this._pending = true;
      queueMicrotask(() => {
        this._pending = false;
        this._build();
        this._load(false);
      });
    }

    get _lang() {
      return this.getAttribute("lang") === "en" ? "en" : "ja";
    }

    get _base() {
      return (this.getAttribute("api-base") || SCRIPT_BASE).replace(/\/+$/, "");
    }

    _build() {
      const t = TEXT[this._lang];
      this._q = this.getAttribute("q") || "";
      const known = new Set(REF.categories.map((c) => c[0]));
      this._cats = new Set(words(this.getAttribute("category")).filter((c) => known.has(c)));
      for (const node of [...this._shadow.childNodes]) if (node.nodeName !== "STYLE") node.remove();

      this._input = el("input", { id: "q", type: "search", name: "q", maxlength: 100, placeholder: t.placeholder, autocomplete: "off" });
      this._input.value = this._q;
      const form = el("form", { role: "search" }, el("label", { for: "q", text: t.search }), this._input, el("button", { type: "submit", text: t.submit }));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        this._q = this._input.value.trim();
        this._load(false);
      });

      const filters = el("div", { class: "filters", role: "group", "aria-label": t.filter });
      for (const [code, ja, en] of REF.categories) {
        const chip = el("button", { type: "button", "data-code": code, "aria-pressed": this._cats.has(code) ? "true" : "false", text: this._lang === "en" ? en : ja });
        chip.addEventListener("click", () => {
          if (this._cats.has(code)) this._cats.delete(code);
          else this._cats.add(code);
          chip.setAttribute("aria-pressed", this._cats.has(code) ? "true" : "false");
          this._load(false);
        });
        filters.append(chip);
      }

      this._status = el("p", { class: "status", role: "status", "aria-live": "polite" });
      this._list = el("ul", { class: "cards", "aria-label": t.list });
      this._more = el("button", { type: "button", class: "more", hidden: true, text: t.more });
      this._more.addEventListener("click", () => this._load(true));
      this._section = el("section", { "aria-label": t.region }, el("div", { class: "bar" }, form, filters), this._status, this._list, this._more);
      this._shadow.append(el("div", { class: "root", lang: this._lang }, this._section));
    }

    _query(more) {
      const p = new URLSearchParams();
      for (const name of ["campaign", "prefecture", "kind"]) {
        const v = (this.getAttribute(name) || "").trim();
        if (v) p.set(name, v);
      }
      for (const c of this._cats) p.append("category", c);
      if (this._q) p.set("q", this._q);
      const limit = parseInt(this.getAttribute("limit") || "", 10);
      p.set("limit", String(limit >= 1 && limit <= 100 ? limit : 12));
      if (more && this._cursor) p.set("cursor", this._cursor);
      return p;
    }

    async _load(more) {
      const t = TEXT[this._lang];
      const seq = ++this._seq;
      if (!more) {
        this._list.replaceChildren();
        this._seen = new Set();
        this._cursor = null;
        this._more.hidden = true;
      }
      this._section.dataset.state = "loading";
      this._list.setAttribute("aria-busy", "true");
      this._more.disabled = true;
      if (!more) this._status.textContent = t.loading;
      try {
        const res = await fetch(`${this._base}/api/v1/public/activities?${this._query(more)}`, {
          credentials: "omit",
          headers: { accept: "application/json" },
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const page = await res.json();
        if (seq !== this._seq) return;
        let first = null;
        for (const item of page.items || []) {
          if (this._seen.has(item.id)) continue;
          this._seen.add(item.id);
          const card = this._card(item);
          first = first || card;
          this._list.append(card);
        }
        this._cursor = page.next_cursor || null;
        this._more.hidden = !this._cursor;
        this._status.textContent = page.total > 0 ? t.count(page.total, page.total_is_lower_bound) : t.empty;
        this._section.dataset.state = "ready";
        if (more && first) first.querySelector("article").focus();
      } catch (err) {
        if (seq !== this._seq) return;
        this._status.textContent = t.error;
        this._section.dataset.state = "error";
        this._more.hidden = !this._cursor;
      } finally {
        if (seq === this._seq) {
          this._list.removeAttribute("aria-busy");
          this._more.disabled = false;
        }
      }
    }

    _card(a) {
      const t = TEXT[this._lang];
      const en = this._lang === "en";
      const titleId = `t-${a.id}`;
      const cats = el("ul", { class: "cats", "aria-label": t.categories });
      for (const code of a.categories || []) {
        const ref = REF.categories.find((c) => c[0] === code);
        cats.append(el("li", { class: "cat", "data-code": code, text: ref ? (en ? ref[2] : ref[1]) : code }));
      }
      const title = el("h3", { id: titleId });
      if (typeof a.url === "string" && /^https?:\/\//i.test(a.url)) {
        title.append(el("a", { href: a.url, target: "_blank", rel: "noopener noreferrer", text: a.title }));
      } else {
        title.textContent = a.title;
      }
      const meta = el("p", { class: "meta" });
      const from = formatDate(a.starts_on, this._lang);
      const to = formatDate(a.ends_on, this._lang);
      if (from || to) meta.append(el("span", { class: "dates", text: from && to && from !== to ? `${from}${t.range}${to}` : from || to }));
      const pref = a.prefecture && REF.prefectures[a.prefecture];
      if (pref) meta.append(el("span", { class: "prefecture", text: en ? pref[1] : pref[0] }));
      const org = el("p", { class: "org" }, document.createTextNode(a.organizer_name || ""));
      if (t.kind[a.kind]) org.append(el("span", { class: "kind", text: `(${t.kind[a.kind]})` }));
      const article = el("article", { "aria-labelledby": titleId, tabindex: "-1" }, org, cats, title, meta);
      return el("li", { class: "card", "data-id": a.id }, article);
    }
  }

  customElements.define("telework-activities", TeleworkActivities);
})();
