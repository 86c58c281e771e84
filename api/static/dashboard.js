/* Procurement oversight dashboard: signs in with a token kept for this tab, reads the
 * dashboard's JSON with it, and reloads what it shows whenever the read model changes.
 * Pages: the list, one procurement (its timeline of steps and dates), the calendar. */
"use strict";

(function () {
  const TOKEN_KEY = "procureflow.token";
  const STATES = ["draft", "published", "evaluation", "review_window", "awarded", "closed", "cancelled"];
  const TZ = "America/Chicago";
  const dateTime = new Intl.DateTimeFormat("en-US", {
    timeZone: TZ, weekday: "short", month: "short", day: "numeric", year: "numeric",
    hour: "numeric", minute: "2-digit", timeZoneName: "short",
  });
  const dayOnly = new Intl.DateTimeFormat("en-US", {
    timeZone: "UTC", weekday: "short", month: "short", day: "numeric", year: "numeric",
  });

  const shortTime = new Intl.DateTimeFormat("en-US", {
    timeZone: TZ, month: "short", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit",
  });
  const timeOnly = new Intl.DateTimeFormat("en-US", { timeZone: TZ, hour: "numeric", minute: "2-digit" });
  const longDay = new Intl.DateTimeFormat("en-US", {
    timeZone: "UTC", weekday: "long", month: "long", day: "numeric", year: "numeric",
  });
  const monthTitle = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", month: "long", year: "numeric" });

  const $ = (id) => document.getElementById(id);

  /* Builds an element; children are nodes or text, never markup. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const humanState = (s) => (s || "").replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const fmtDateTime = (iso) => (iso ? dateTime.format(new Date(iso)) : "");
  const fmtDay = (isoDay) => (isoDay ? dayOnly.format(new Date(isoDay + "T00:00:00Z")) : "");
  /* A deadline that is a day is shown as the day the API gives, never as the midnight it is
   * kept at (which, for a period that runs through a day, is the start of the next one). */
  const fmtDue = (d) => (d.date_only ? fmtDay(d.due_on) : fmtDateTime(d.due_at));

  function daysText(days, status) {
    if (days === null || days === undefined) return "";
    if (status === "met") return "done";
    if (days === 0) return "today";
    if (days < 0) return `${-days} day${days === -1 ? "" : "s"} ${status === "overdue" ? "overdue" : "ago"}`;
    return `${days} day${days === 1 ? "" : "s"}`;
  }

  function daysClass(days, status) {
    if (status === "overdue") return "days-overdue";
    if (status === "met" || status === "passed") return "muted";
    if (days !== null && days <= 3) return "days-soon";
    return "";
  }

  const stateBadge = (state) => h("span", { class: `badge badge-${state}`, text: humanState(state) });
  const statusBadge = (status) => h("span", { class: `badge badge-${status}`, text: status });

  /* ---- signing in ------------------------------------------------------------------ */

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  class ApiFailure extends Error {
    constructor(status, body) {
      super((body && (body.detail || (body.errors && body.errors.map((e) => `${e.field}: ${e.message}`).join("; ")))) || `HTTP ${status}`);
      this.status = status;
    }
  }

  async function api(path) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token()}`, Accept: "application/json" },
      cache: "no-store",
    });
    let body = null;
    try { body = await response.json(); } catch (_) { body = null; }
    if (!response.ok) throw new ApiFailure(response.status, body);
    return body;
  }

  function showSignIn(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    stopLive();
    $("app").hidden = true;
    $("session").hidden = true;
    $("signin").hidden = false;
    const error = $("signin-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  function showApp(viewer) {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("session").hidden = false;
    const scope = viewer.sees_every_agency ? "every agency" : viewer.agency;
    $("who").textContent = `${viewer.name} · ${viewer.role_name} · ${scope}`;
  }

  /* A failure that means the token will not do: back to the sign-in form, with the reason. */
  function handleFailure(failure, area, signOutOn403) {
    if (failure.status === 401 || (failure.status === 403 && signOutOn403)) {
      showSignIn(failure.message);
      return;
    }
    area.textContent = failure.message || "The service did not answer; retrying shortly.";
    area.hidden = false;
  }

  /* ---- live updates ----------------------------------------------------------------- */

  let live = null;

  function setLive(state, text) {
    const el = $("live");
    if (!el) return;
    el.classList.toggle("is-live", state === "live");
    el.classList.toggle("is-down", state === "down");
    $("live-text").textContent = text;
  }

  function stopLive() {
    if (live) live.abort();
    live = null;
  }

  /* Server-sent events read with fetch, so the token travels in a header, never in a URL. */
  function startLive(onChange) {
    stopLive();
    const controller = new AbortController();
    live = controller;
    let delay = 1000;
    const run = async () => {
      while (!controller.signal.aborted) {
        try {
          const response = await fetch("/v1/dashboard/events", {
            headers: { Authorization: `Bearer ${token()}`, Accept: "text/event-stream" },
            signal: controller.signal,
            cache: "no-store",
          });
          if (response.status === 401 || response.status === 403) {
            const body = await response.json().catch(() => null);
            showSignIn((body && body.detail) || "Sign in again.");
            return;
          }
          if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          delay = 1000;
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let cut;
            while ((cut = buffer.indexOf("\n\n")) >= 0) {
              const chunk = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              const event = (chunk.match(/^event: (.*)$/m) || [])[1];
              if (event === "ready" || event === "change") {
                setLive("live", "Live updates");
                if (event === "change") onChange();
              }
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return;
        }
        setLive("down", "Reconnecting…");
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 30000);
        onChange();
      }
    };
    run();
  }

  /* ---- the list ----------------------------------------------------------------------- */

  const DEFAULT_ORDER = { next_deadline: "asc", updated: "desc", reference: "asc", agency: "asc", state: "asc" };

  // An agency filter: the viewer's own agency when it sees only one, else every agency,
  // listed once (and asked again after a failure).
  function agencyFilter(selectId) {
    let loaded = false;
    return async (viewer, selected) => {
      if (loaded) return;
      loaded = true;
      const select = $(selectId);
      if (!viewer.sees_every_agency) {
        select.replaceChildren(h("option", { value: viewer.agency, text: viewer.agency }));
        select.disabled = true;
        return;
      }
      try {
        const { agencies } = await api("/v1/dashboard/agencies");
        for (const agency of agencies) select.append(h("option", { value: agency, text: agency }));
        select.value = selected;
      } catch (_) {
        loaded = false;
      }
    };
  }

  function listPage() {
    const params = new URLSearchParams(location.search);
    const view = {
      state: params.get("state") || "",
      agency: params.get("agency") || "",
      method: params.get("method") || "",
      due_within_days: params.get("due_within_days") || "",
      overdue: params.get("overdue") === "true",
      protest_pending: params.get("protest_pending") === "true",
      sort: params.get("sort") || "next_deadline",
      order: params.get("order") || "",
      limit: params.get("limit") || "50",
    };
    let cursors = [null]; // the cursor of each page visited, for "Previous"
    let page = 0;
    let nextCursor = null;
    let loading = null;

    function query(withCursor) {
      const q = new URLSearchParams();
      for (const key of ["state", "agency", "method", "due_within_days"]) if (view[key]) q.set(key, view[key]);
      if (view.overdue) q.set("overdue", "true");
      if (view.protest_pending) q.set("protest_pending", "true");
      if (view.sort !== "next_deadline") q.set("sort", view.sort);
      if (view.order) q.set("order", view.order);
      if (view.limit !== "50") q.set("limit", view.limit);
      if (withCursor && cursors[page]) q.set("cursor", cursors[page]);
      return q;
    }

    function syncForm() {
      $("f-state").value = view.state;
      $("f-agency").value = view.agency;
      $("f-method").value = view.method;
      $("f-due").value = view.due_within_days;
      $("f-overdue").checked = view.overdue;
      $("f-protest").checked = view.protest_pending;
      $("page-size").value = view.limit;
      const order = view.order || DEFAULT_ORDER[view.sort];
      for (const th of document.querySelectorAll("th[data-sort]")) {
        if (th.dataset.sort === view.sort) th.setAttribute("aria-sort", order === "asc" ? "ascending" : "descending");
        else th.removeAttribute("aria-sort");
      }
    }

    function restart() {
      cursors = [null];
      page = 0;
      const q = query(false).toString();
      history.replaceState(null, "", q ? `?${q}` : location.pathname);
      syncForm();
      load();
    }

    const loadAgencies = agencyFilter("f-agency");

    function renderCounts(counts, total) {
      const all = STATES.reduce((n, s) => n + (counts[s] || 0), 0);
      const tile = (state, label, n) =>
        h("button", {
          type: "button", class: "count", "data-state": state || "all",
          "aria-pressed": String(view.state === state),
          onclick: () => { view.state = view.state === state ? "" : state; restart(); },
        }, h("span", { class: n ? "count-n" : "count-n is-zero", text: n.toLocaleString("en-US") }), h("span", { class: "count-label", text: label }));
      $("counts").replaceChildren(
        tile("", "All states", all),
        ...STATES.map((s) => tile(s, humanState(s), counts[s] || 0)),
      );
      return total;
    }

    function renderRows(data) {
      const rows = data.items.map((item) => {
        const d = item.next_deadline;
        return h("tr", { class: item.overdue ? "is-overdue" : "", "data-reference": item.reference },
          h("td", {},
            h("a", { class: "ref", href: item.page_url, text: item.reference }),
            h("span", { class: "sub", text: item.title })),
          h("td", { text: item.agency }),
          h("td", { class: "nowrap" }, h("span", { text: item.method_label }), h("span", { class: "sub", text: item.method_citation })),
          h("td", { class: "nowrap" }, stateBadge(item.state),
            item.protest_pending ? h("div", { class: "flags" }, h("span", { class: "badge badge-protest", text: "protest pending" })) : null),
          h("td", {},
            d ? [h("span", { class: "deadline-name", text: d.label }),
                 d.status === "overdue" || d.status === "due" ? [" ", statusBadge(d.status)] : null,
                 h("span", { class: "sub when", text: fmtDue(d) })]
              : h("span", { class: "muted", text: "—" })),
          h("td", { class: `num ${d ? daysClass(d.days_left, d.status) : ""}` }, d ? daysText(d.days_left, d.status) : ""),
          h("td", { class: "last-step" },
            item.last_step
              ? [h("span", { class: "step-name", text: item.last_step.label }),
                 h("span", { class: "sub when", text: shortTime.format(new Date(item.last_step.at)) })]
              : h("span", { class: "when muted", text: shortTime.format(new Date(item.updated_at)) })));
      });
      $("rows").replaceChildren(...rows);
      $("empty").hidden = rows.length > 0;
      const size = Number(view.limit);
      const first = page * size + 1;
      $("range").textContent = rows.length
        ? `${first.toLocaleString("en-US")}–${(first + rows.length - 1).toLocaleString("en-US")} of ${data.total.toLocaleString("en-US")}`
        : `0 of ${data.total.toLocaleString("en-US")}`;
      $("prev").disabled = page === 0;
      $("next").disabled = !nextCursor;
    }

    async function load() {
      const mine = Symbol("load");
      loading = mine;
      try {
        const data = await api(`/v1/dashboard/procurements?${query(true)}`);
        if (loading !== mine) return;
        nextCursor = data.next_cursor;
        $("list-error").hidden = true;
        showApp(data.viewer);
        $("scope-note").textContent = data.viewer.sees_every_agency
          ? `Every agency's procurements, with the next statutory date. Service clock: ${fmtDateTime(data.as_of)}.`
          : `${data.viewer.agency}'s procurements, with the next statutory date. Service clock: ${fmtDateTime(data.as_of)}.`;
        renderCounts(data.counts, data.total);
        renderRows(data);
        loadAgencies(data.viewer, view.agency);
        if (!live) startLive(() => load());
        document.body.dataset.loaded = "true";
      } catch (failure) {
        if (loading !== mine) return;
        handleFailure(failure, $("list-error"), true);
      }
    }

    $("filters").addEventListener("change", (event) => {
      const t = event.target;
      if (t.id === "f-overdue") view.overdue = t.checked;
      else if (t.id === "f-protest") view.protest_pending = t.checked;
      else if (t.name) view[t.name] = t.value;
      restart();
    });
    $("filters").addEventListener("submit", (event) => event.preventDefault());
    $("filters").addEventListener("reset", (event) => {
      event.preventDefault();
      Object.assign(view, { state: "", agency: "", method: "", due_within_days: "", overdue: false, protest_pending: false });
      restart();
    });
    $("page-size").addEventListener("change", (event) => { view.limit = event.target.value; restart(); });
    for (const th of document.querySelectorAll("th[data-sort]")) {
      th.tabIndex = 0;
      const choose = () => {
        const sort = th.dataset.sort;
        const current = view.order || DEFAULT_ORDER[view.sort];
        if (view.sort === sort) view.order = current === "asc" ? "desc" : "asc";
        else { view.sort = sort; view.order = ""; }
        restart();
      };
      th.addEventListener("click", choose);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
    }
    $("next").addEventListener("click", () => {
      if (!nextCursor) return;
      cursors = cursors.slice(0, page + 1).concat([nextCursor]);
      page += 1;
      load();
    });
    $("prev").addEventListener("click", () => {
      if (page === 0) return;
      page -= 1;
      load();
    });

    syncForm();
    return load;
  }

  /* ---- one procurement ---------------------------------------------------------------- */

  function procurementPage() {
    const reference = document.body.dataset.reference;
    const back = sessionStorage.getItem("procureflow.list");
    if (back) $("back").href = back;
    if (back && back.startsWith("/dashboard/calendar")) $("back").textContent = "‹ Calendar of deadlines";

    function fact(label, value) {
      if (value === null || value === undefined || value === "") return null;
      return h("div", {}, h("dt", { text: label }), h("dd", {}, value));
    }

    function timelineItem(x) {
      if (x.kind === "step") {
        return h("li", { class: "timeline-item timeline-step", "data-kind": "step", "data-status": "done", "data-name": x.name },
          h("div", { class: "timeline-top" },
            h("span", { class: "timeline-name", text: x.label }),
            x.from_state === x.to_state ? null : [stateBadge(x.from_state), " → ", stateBadge(x.to_state)]),
          h("div", { class: "timeline-date" }, fmtDateTime(x.at), " · ", h("code", { text: x.name }), ` · ${x.actor}`),
          h("p", { class: "timeline-desc" }, x.description, " ", h("span", { class: "muted", text: `(${x.citation})` })));
      }
      return h("li", { class: "timeline-item", "data-kind": "deadline", "data-status": x.status, "data-name": x.name },
        h("div", { class: "timeline-top" },
          h("span", { class: "timeline-name", text: x.label }),
          statusBadge(x.status),
          x.provisional ? h("span", { class: "badge", text: "provisional" }) : null,
          h("span", { class: `${daysClass(x.days_left, x.status)}`, text: x.status === "met" || x.status === "passed" ? "" : daysText(x.days_left, x.status) })),
        h("div", { class: "timeline-date" }, fmtDue(x), " · ", h("code", { text: x.name })),
        h("p", { class: "timeline-desc" }, x.description, " ", h("span", { class: "muted", text: `(${x.citation})` })));
    }

    function renderTimeline(timeline) {
      const groups = [["past", "Past"], ["current", "Current"], ["coming", "Coming"]];
      $("timeline").replaceChildren(...groups.map(([key, title]) => {
        const items = timeline[key];
        return h("section", { class: "timeline-group", "data-group": key },
          h("h3", { text: title }),
          items.length
            ? h("ol", {}, items.map(timelineItem))
            : h("p", { class: "timeline-empty", text: key === "current" ? "Nothing due now." : "None." }));
      }));
    }

    function group(title, items, render) {
      return h("section", { class: "open-group" },
        h("h3", {}, title, h("span", { class: "count-pill", text: String(items.length) })),
        items.length ? h("ul", {}, items.map(render)) : h("p", { class: "open-none", text: "None open." }));
    }

    function renderOpenItems(open) {
      $("open-items").replaceChildren(
        group("Document requests", open.document_requests, (r) =>
          h("li", { class: r.status === "overdue" ? "is-overdue" : "" },
            h("div", {}, h("strong", { text: `${r.body} · ${r.request_id}` }), " ", statusBadge(r.status)),
            h("div", { text: r.description }),
            h("div", { class: "muted", text: `Due ${fmtDay(r.due_on)} · ${daysText(r.days_left, r.status)}` }))),
        group("Protests pending", open.protests, (p) =>
          h("li", {},
            h("div", {}, h("strong", { text: `${p.protest_id} · ${p.protester}` }), " ", h("span", { class: "badge badge-protest", text: `${p.kind} protest` })),
            h("div", { text: p.grounds }),
            h("div", { class: "muted", text: `Filed ${fmtDateTime(p.filed_at)} · awaiting the chief procurement officer's decision` }))),
        group("Filings due", open.filings_due, (d) =>
          h("li", { class: d.status === "overdue" ? "is-overdue" : "" },
            h("div", {}, h("strong", { text: d.label }), " ", statusBadge(d.status)),
            h("div", { class: "muted", text: `Due ${fmtDay(d.due_on)} · ${daysText(d.days_left, d.status)} · ${d.citation}` }))),
      );
    }

    function renderHistory(steps) {
      $("history").replaceChildren(...steps.slice().reverse().map((s) =>
        h("tr", {},
          h("td", { class: "when", text: fmtDateTime(s.at) }),
          h("td", {}, h("code", { text: s.trigger })),
          h("td", { class: "nowrap" }, s.from_state === s.to_state ? stateBadge(s.to_state) : [stateBadge(s.from_state), " → ", stateBadge(s.to_state)]),
          h("td", {}, s.actor, h("span", { class: "sub", text: s.role })),
          h("td", { class: "muted", text: s.citation }),
          h("td", { text: s.summary }))));
    }

    async function load() {
      try {
        const d = await api(`/v1/dashboard/procurements/${encodeURIComponent(reference)}`);
        showApp(d.viewer);
        $("detail-error").hidden = true;
        $("detail").hidden = false;
        document.title = `${d.reference} · Procurement oversight · procureflow`;
        $("d-agency").textContent = d.agency;
        $("d-title").textContent = d.title;
        $("d-state").className = `badge badge-${d.state}`;
        $("d-state").textContent = humanState(d.state);
        const next = d.next_deadline;
        $("d-facts").replaceChildren(...[
          fact("Method", d.method_name),
          fact("Chief procurement office", d.chief_procurement_office),
          fact("Published", d.published_on ? fmtDay(d.published_on) : "Not yet"),
          fact("Offers received", String(d.bids_received)),
          fact("Next deadline", next ? [next.label, " · ", fmtDue(next), " (", daysText(next.days_left, next.status), ")"] : "None upcoming"),
          fact("Service clock", fmtDateTime(d.as_of)),
        ].filter(Boolean));
        const attention = d.timeline.current.filter((x) => x.status === "overdue" || x.status === "due");
        $("d-attention").replaceChildren(...attention.map((x) =>
          h("p", { class: `alert ${x.status === "overdue" ? "alert-error" : "alert-warning"}`, role: "status" },
            h("strong", { text: `${x.label} ${x.status === "overdue" ? "is overdue" : "is due"}` }),
            ` — set for ${fmtDue(x)}${x.status === "overdue" ? ` (${daysText(x.days_left, x.status)})` : ""}. ${x.description} (${x.citation})`)));
        const workflow = $("d-workflow");
        if (d.workflow_url) { workflow.href = d.workflow_url; workflow.hidden = false; }
        renderTimeline(d.timeline);
        renderOpenItems(d.open_items);
        renderHistory(d.history);
        if (!live) startLive(() => load());
        document.body.dataset.loaded = "true";
      } catch (failure) {
        handleFailure(failure, $("detail-error"), false);
      }
    }
    return load;
  }

  /* ---- the calendar ------------------------------------------------------------------- */

  /* Days are ISO dates (YYYY-MM-DD) worked in UTC, so no time zone ever moves one. */
  const addDays = (isoDay, n) => {
    const d = new Date(isoDay + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  };
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  // Past this many in a day of the month, the rest are one click away in the two-week view.
  const MONTH_CELL_ITEMS = 4;

  function calendarPage() {
    const params = new URLSearchParams(location.search);
    const view = {
      view: params.get("view") === "agenda" ? "agenda" : "month",
      on: params.get("on") || "",
      agency: params.get("agency") || "",
      method: params.get("method") || "",
    };
    let shown = null;
    let loading = null;

    function query() {
      const q = new URLSearchParams();
      if (view.view !== "month") q.set("view", view.view);
      for (const key of ["on", "agency", "method"]) if (view[key]) q.set(key, view[key]);
      return q;
    }

    function sync() {
      for (const b of document.querySelectorAll("[data-view]")) b.setAttribute("aria-pressed", String(b.dataset.view === view.view));
      $("c-agency").value = view.agency;
      $("c-method").value = view.method;
    }

    function go(changes) {
      Object.assign(view, changes);
      const q = query().toString();
      history.replaceState(null, "", q ? `?${q}` : location.pathname);
      sync();
      load();
    }

    const loadAgencies = agencyFilter("c-agency");

    const when = (d) => (d.date_only ? "all day" : timeOnly.format(new Date(d.due_at)));
    const tip = (d) => `${d.label} · ${d.reference}: ${d.title} (${d.agency}). ${d.description} (${d.citation})`;

    function monthItem(d) {
      return h("li", {},
        h("a", {
          class: "cal-item", href: d.page_url, title: tip(d),
          "data-status": d.status, "data-reference": d.reference, "data-name": d.name,
        },
        d.date_only ? null : h("span", { class: "cal-time", text: when(d) }),
        h("span", { class: "cal-label", text: d.label }),
        h("span", { class: "cal-ref", text: d.reference })));
    }

    function renderMonth(data, byDay) {
      const month = data.on.slice(0, 7);
      const cells = [];
      for (let day = data.starts_on; day <= data.ends_on; day = addDays(day, 1)) {
        const items = byDay.get(day) || [];
        const outside = day.slice(0, 7) !== month;
        const more = items.length - MONTH_CELL_ITEMS;
        cells.push(h("div", {
          class: `cal-day${outside ? " is-outside" : ""}${day === data.today ? " is-today" : ""}`,
          role: "gridcell", "data-day": day, "aria-label": `${longDay.format(new Date(day + "T00:00:00Z"))}: ${items.length} deadline${items.length === 1 ? "" : "s"}`,
        },
        h("div", { class: "cal-date" }, h("span", { text: String(Number(day.slice(8))) }),
          day === data.today ? h("span", { class: "badge badge-upcoming", text: "today" }) : null),
        items.length ? h("ul", {}, items.slice(0, more > 0 ? MONTH_CELL_ITEMS - 1 : MONTH_CELL_ITEMS).map(monthItem)) : null,
        more > 0 ? h("button", {
          type: "button", class: "cal-more",
          onclick: () => go({ view: "agenda", on: day }),
          text: `+${more + 1} more`,
        }) : null));
      }
      const rows = [];
      for (let i = 0; i < cells.length; i += 7) rows.push(h("div", { class: "cal-week", role: "row" }, cells.slice(i, i + 7)));
      $("month").replaceChildren(
        h("div", { class: "cal-grid", role: "grid", "aria-labelledby": "cal-range" },
          h("div", { class: "cal-week cal-head", role: "row" }, WEEKDAYS.map((w) => h("div", { role: "columnheader", text: w }))),
          rows));
    }

    function agendaItem(d) {
      return h("li", { class: `agenda-item${d.status === "overdue" ? " is-overdue" : ""}`, "data-status": d.status, "data-reference": d.reference, "data-name": d.name },
        h("span", { class: "agenda-time", text: when(d) }),
        h("div", { class: "agenda-what" },
          h("div", {},
            h("strong", { text: d.label }), " ", statusBadge(d.status),
            d.provisional ? [" ", h("span", { class: "badge", text: "provisional" })] : null,
            " ", h("span", { class: daysClass(d.days_left, d.status), text: d.status === "met" || d.status === "passed" ? "" : daysText(d.days_left, d.status) })),
          h("div", {},
            h("a", { class: "ref", href: d.page_url, text: d.reference }), ` · ${d.title} · ${d.agency}`),
          h("div", { class: "muted" }, `${d.description} (${d.citation})`)));
    }

    function renderAgenda(data, byDay) {
      const weeks = [];
      for (let start = data.starts_on; start <= data.ends_on; start = addDays(start, 7)) {
        const days = [];
        for (let i = 0; i < 7; i += 1) {
          const day = addDays(start, i);
          const items = byDay.get(day) || [];
          days.push(h("section", { class: `agenda-day${day === data.today ? " is-today" : ""}`, "data-day": day },
            h("h3", {}, longDay.format(new Date(day + "T00:00:00Z")),
              day === data.today ? [" ", h("span", { class: "badge badge-upcoming", text: "today" })] : null),
            items.length ? h("ul", {}, items.map(agendaItem)) : h("p", { class: "open-none", text: "Nothing due." })));
        }
        weeks.push(h("section", { class: "agenda-week" },
          h("h3", { class: "agenda-week-title", text: `Week of ${fmtDay(start)}` }), days));
      }
      $("agenda").replaceChildren(...weeks);
    }

    function render(data) {
      const byDay = new Map();
      for (const d of data.deadlines) {
        if (!byDay.has(d.due_on)) byDay.set(d.due_on, []);
        byDay.get(d.due_on).push(d);
      }
      const month = data.view === "month";
      $("cal-range").textContent = month
        ? monthTitle.format(new Date(data.on.slice(0, 7) + "-01T00:00:00Z"))
        : `${fmtDay(data.starts_on)} – ${fmtDay(data.ends_on)}`;
      $("month").hidden = !month;
      $("agenda").hidden = month;
      if (month) renderMonth(data, byDay);
      else renderAgenda(data, byDay);
      $("cal-empty").hidden = data.deadlines.length > 0;
      const cut = $("cal-truncated");
      cut.hidden = !data.truncated;
      cut.textContent = data.truncated
        ? `More than ${data.limit.toLocaleString("en-US")} deadlines fall on these days; the first ${data.limit.toLocaleString("en-US")} are shown. Choose an agency or a method to see them all.`
        : "";
      const scope = data.viewer.sees_every_agency ? (view.agency || "Every agency") : data.viewer.agency;
      $("cal-scope").textContent = `${scope}: ${data.deadlines.length.toLocaleString("en-US")} deadline${data.deadlines.length === 1 ? "" : "s"} on these days. Service clock: ${fmtDateTime(data.as_of)}.`;
    }

    async function load() {
      const mine = Symbol("load");
      loading = mine;
      try {
        const data = await api(`/v1/dashboard/calendar?${query()}`);
        if (loading !== mine) return;
        shown = data;
        $("cal-error").hidden = true;
        showApp(data.viewer);
        render(data);
        loadAgencies(data.viewer, view.agency);
        if (!live) startLive(() => load());
        document.body.dataset.loaded = "true";
      } catch (failure) {
        if (loading !== mine) return;
        handleFailure(failure, $("cal-error"), true);
      }
    }

    for (const b of document.querySelectorAll("[data-view]")) {
      b.addEventListener("click", () => go({ view: b.dataset.view }));
    }
    $("cal-prev").addEventListener("click", () => { if (shown) go({ on: shown.previous }); });
    $("cal-next").addEventListener("click", () => { if (shown) go({ on: shown.next }); });
    $("cal-today").addEventListener("click", () => go({ on: "" }));
    $("cal-filters").addEventListener("change", (event) => {
      const t = event.target;
      if (t.name) go({ [t.name]: t.value });
    });
    $("cal-filters").addEventListener("submit", (event) => event.preventDefault());

    sync();
    return load;
  }

  /* ---- start ------------------------------------------------------------------------------- */

  document.addEventListener("DOMContentLoaded", () => {
    const kind = document.body.dataset.page;
    const load = kind === "procurement" ? procurementPage() : kind === "calendar" ? calendarPage() : listPage();
    if (kind === "list" || kind === "calendar") {
      // Coming back from a procurement returns to the same page, filters and days.
      window.addEventListener("pagehide", () => sessionStorage.setItem("procureflow.list", location.pathname + location.search));
    }
    $("signin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token").value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $("signin-error").hidden = true;
      load();
    });
    $("sign-out").addEventListener("click", () => showSignIn(""));
    if (token()) load();
    else showSignIn("");
  });
})();
