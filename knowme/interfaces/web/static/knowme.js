// knowme web page: the token, API calls, and the views (chat, memory, people, timeline, preferences, digest, audit,
// status). No build step. Every text from the vault is set as text, never as HTML.
"use strict";

const TOKEN_KEY = "knowme-token";
const $ = (sel) => document.querySelector(sel);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function takeTokenFromFragment() {
  const match = /(?:^|&)token=([^&]+)/.exec(location.hash.slice(1));
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function showLogin(message) {
  $("#main").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  if (message) { $("#token-form .hint").textContent = message; }
}

class ApiError extends Error {}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${token()}` }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin("That token was not accepted. Run knowme token to make a new one.");
    throw new ApiError("unauthorized");
  }
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { message = (await response.json()).error.message; } catch (e) { /* not the envelope */ }
    throw new ApiError(message);
  }
  return response;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "dataset") { Object.assign(node.dataset, value); } else { node.setAttribute(key, value); }
  }
  for (const child of children) { node.append(child); }
  return node;
}

function when(stamp) { return stamp ? stamp.slice(0, 16).replace("T", " ") : "undated"; }

function refLink(ref, label) {
  const link = el("a", { href: "#", class: "ref", dataset: { ref } }, label || ref);
  link.addEventListener("click", (event) => { event.preventDefault(); openRecord(ref); });
  return link;
}

let lastQuery = "";  // the search a record was opened from: a rating on it trains the re-ranker with its rank

function jsonPost(path, body, method = "POST") {
  return api(path, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

async function rate(rating) {
  const ref = $("#record").dataset.ref;
  const body = { ref, rating };
  if (lastQuery) { body.query = lastQuery; }
  try {
    await jsonPost("/api/feedback", body);
    $("#record-status").textContent = rating > 0 ? "Thanks: more like this." : "Thanks: less like this.";
  } catch (error) { $("#record-status").textContent = error.message; }
}

async function forgetPreview() {
  const ref = $("#record").dataset.ref;
  try {
    const preview = await (await jsonPost("/api/forget", { ref: [ref] })).json();
    const derived = Object.entries(preview.counts).filter(([k, n]) => n && k !== "records")
      .map(([k, n]) => `${n} ${k.replace(/_/g, " ")}`);
    $("#forget-summary").textContent = `This forgets ${preview.records.length} record(s)` +
      (derived.length ? ` and what was derived from them: ${derived.join(", ")}` : "") + ". It cannot be undone.";
    $("#forget-box").hidden = false;
    $("#forget-box").dataset.state = "preview";
  } catch (error) { $("#record-status").textContent = error.message; }
}

async function forgetConfirm() {
  const ref = $("#record").dataset.ref;
  try {
    const done = await (await jsonPost("/api/forget", { ref: [ref], confirm: true })).json();
    $("#forget-summary").textContent = `Forgotten: ${done.records.length} record(s).`;
    $("#forget-confirm").hidden = true;
    $("#forget-box").dataset.state = "done";
    document.querySelectorAll(`a.ref[data-ref="${CSS.escape(ref)}"]`).forEach((a) => a.closest("li")?.remove());
  } catch (error) { $("#record-status").textContent = error.message; }
}

async function openRecord(ref) {
  const dialog = $("#record");
  dialog.dataset.ref = ref;
  $("#record-status").textContent = "";
  $("#forget-box").hidden = true;
  $("#forget-confirm").hidden = false;
  try {
    const body = await (await api(`/api/records?ref=${encodeURIComponent(ref)}`)).json();
    const record = body.records[0];
    $("#record-meta").textContent = [record.kind.replace("_", " "), when(record.timestamp), record.author || ""]
      .filter(Boolean).join(" · ");
    $("#record-title").textContent = record.title || record.ref;
    $("#record-ref").textContent = record.ref;
    $("#record-text").textContent = record.text;
  } catch (error) {
    $("#record-title").textContent = "Cannot open this record";
    $("#record-text").textContent = error.message;
  }
  dialog.showModal();
}

// -- chat ----------------------------------------------------------------------------------------------------------

async function* sseEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) { break; }
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      if (event && data) { yield [event[1], JSON.parse(data[1])]; }
    }
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("#question").value.trim();
  if (!question) { return; }
  const turn = $("#turn").content.firstElementChild.cloneNode(true);
  turn.querySelector(".question").textContent = question;
  $("#conversation").prepend(turn);
  $("#question").value = "";
  const answer = turn.querySelector(".answer");
  const body = { question };
  if ($("#as-of").value) { body.as_of = $("#as-of").value; }
  try {
    const response = await api("/api/ask/stream", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    for await (const [name, data] of sseEvents(response)) {
      if (name === "evidence") {
        const list = turn.querySelector(".evidence ol");
        for (const hit of data) {
          list.append(el("li", {}, refLink(hit.ref, hit.title || hit.ref), ` · ${hit.kind} · ${when(hit.timestamp)}`));
        }
      } else if (name === "delta") {
        answer.textContent += data.text;
      } else if (name === "done") {
        answer.textContent = data.text;
        const cites = turn.querySelector(".citations");
        cites.append("Sources: ");
        data.citations.forEach((ref, i) => { if (i) { cites.append(", "); } cites.append(refLink(ref)); });
        turn.dataset.state = "done";
      } else if (name === "error") {
        answer.textContent = data.error.message;
        turn.dataset.state = "error";
      }
    }
  } catch (error) {
    answer.textContent = error.message;
    turn.dataset.state = "error";
  }
}

// -- memory ----------------------------------------------------------------------------------------------------------

function recordItem(item) {
  const snippet = item.text.replace(/\s+/g, " ").slice(0, 200);
  return el("li", {}, refLink(item.ref, item.title || item.ref),
    el("span", { class: "meta" }, ` ${item.kind.replace("_", " ")} · ${when(item.timestamp)}`),
    el("p", { class: "snippet" }, snippet));
}

async function search(event) {
  event.preventDefault();
  lastQuery = $("#query").value;
  const params = new URLSearchParams({ q: lastQuery, k: "20" });
  if ($("#kind").value) { params.append("kind", $("#kind").value); }
  const results = $("#results");
  results.replaceChildren();
  try {
    const body = await (await api(`/api/search?${params}`)).json();
    if (!body.hits.length) { results.append(el("li", {}, "No results.")); }
    body.hits.forEach((hit) => results.append(recordItem(hit)));
  } catch (error) { results.append(el("li", { class: "error" }, error.message)); }
  results.dataset.state = "done";
}

async function loadRecent() {
  const body = await (await api("/api/records/recent?limit=10")).json();
  $("#recent").replaceChildren(...body.records.map(recordItem));
}

// -- people ----------------------------------------------------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) { node.setAttribute(key, String(value)); }
  if (text !== undefined) { node.textContent = text; }
  return node;
}

// The server lays the neighbourhood out (knowme.graph.neighbourhood); this only draws it. Names are set as text.
function drawNeighbourhood(picture) {
  const box = $("#neighbourhood");
  box.setAttribute("viewBox", `0 0 ${picture.width} ${picture.height}`);
  const at = Object.fromEntries(picture.nodes.map((n) => [n.id, n]));
  const parts = [];
  for (const edge of picture.edges) {
    const [a, b] = [at[edge.source], at[edge.target]];
    const fact = !/shared record/.test(edge.label);
    parts.push(svg("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: `edge ${fact ? "fact" : "co"} ${edge.current ? "" : "ended"}` }));
    const [near, far] = a.center ? [a, b] : [b, a];  // the label sits nearer the neighbour, clear of the centre's name
    parts.push(svg("text", { x: near.x + 0.62 * (far.x - near.x), y: near.y + 0.62 * (far.y - near.y) - 4, class: "edge-label" }, edge.label));
  }
  for (const node of picture.nodes) {
    const group = svg("g", { class: `node ${node.center ? "center" : ""} ${node.type}`, "data-name": node.name });
    group.append(svg("circle", { cx: node.x, cy: node.y, r: node.center ? 26 : 18 }));
    group.append(svg("text", { x: node.x, y: node.y + (node.center ? 42 : 32), class: "node-label" }, node.name));
    if (!node.center) { group.addEventListener("click", () => openPerson(node.name)); }
    parts.push(group);
  }
  box.replaceChildren(...parts);
  box.dataset.state = "done";
}

async function openPerson(name) {
  const path = `/api/people/${encodeURIComponent(name)}`;
  const [profile, picture] = await Promise.all([(await api(path)).json(), (await api(`${path}/graph`)).json()]);
  const person = profile.person;
  $("#person").hidden = false;
  $("#person-name").textContent = person.name;
  $("#person-meta").textContent = [person.relationship.join(", "), `${person.records} records`,
    person.aliases.filter((a) => a !== person.name).join(" · ")].filter(Boolean).join(" · ");
  drawNeighbourhood(picture);
  const factItem = (f) => {
    const span = [f.valid_from, f.valid_to].some(Boolean) ? ` (${f.valid_from || "?"} – ${f.valid_to || "now"})` : "";
    const item = el("li", {}, `${f.subject}: ${f.predicate.replace(/_/g, " ")} ${f.value}${span} `);
    f.refs.forEach((ref) => item.append(refLink(ref, "source"), " "));
    return item;
  };
  const empty = (text) => el("li", { class: "meta" }, text);
  $("#person-facts").replaceChildren(...(profile.facts.length ? profile.facts.map(factItem) : [empty("No facts yet.")]));
  $("#person-commitments").replaceChildren(...(profile.commitments.length
    ? profile.commitments.map((c) => el("li", {}, c)) : [empty("None.")]));
  $("#person-interactions").replaceChildren(...profile.interactions.map((i) =>
    el("li", {}, refLink(i.ref), el("span", { class: "meta" }, ` ${i.kind.replace("_", " ")} · ${when(i.timestamp)}`))));
  $("#person").dataset.state = "done";
}

async function loadPeople() {
  const body = await (await api("/api/people")).json();
  $("#people").replaceChildren(...body.people.map((p) => {
    const link = el("a", { href: "#", dataset: { name: p.name } }, p.name);
    link.addEventListener("click", (event) => { event.preventDefault(); openPerson(p.id === "user" ? "me" : p.name); });
    return el("li", {}, link, el("span", { class: "meta" }, ` ${p.relationship.join(", ") || ""} · ${p.records}`));
  }));
  $("#people").dataset.state = "done";
  const first = body.people.find((p) => p.id === "user") || body.people[0];
  if (first) { await openPerson(first.id === "user" ? "me" : first.name); }
}

// -- timeline --------------------------------------------------------------------------------------------------------

async function loadTimeline(event) {
  if (event) { event.preventDefault(); }
  const params = new URLSearchParams();
  if ($("#since").value) { params.append("since", $("#since").value); }
  if ($("#until").value) { params.append("until", $("#until").value); }
  if ($("#who").value.trim()) { params.append("person", $("#who").value.trim()); }
  const list = $("#timeline");
  list.replaceChildren();
  try {
    const body = await (await api(`/api/timeline?${params}`)).json();
    if (!body.entries.length) { list.append(el("li", { class: "meta" }, "Nothing dated in this range.")); }
    for (const entry of body.entries) {
      const item = el("li", {}, el("time", {}, entry.day.slice(0, 10)), " ", entry.what, " ");
      entry.refs.forEach((ref) => item.append(refLink(ref, "source"), " "));
      list.append(item);
    }
  } catch (error) { list.append(el("li", { class: "error" }, error.message)); }
  list.dataset.state = "done";
}

// -- preferences -----------------------------------------------------------------------------------------------------

async function loadPrefs() {
  const hidden = $("#show-hidden").checked;
  const body = await (await api(`/api/preferences?include_hidden=${hidden}`)).json();
  const list = $("#prefs");
  list.replaceChildren();
  if (!body.preferences.length) { list.append(el("li", { class: "meta" }, "No preferences yet.")); }
  for (const p of body.preferences) {
    const item = el("li", { class: p.active ? "" : "hidden-pref", dataset: { id: p.id } },
      el("span", { class: "tag" }, p.scope), el("span", { class: "statement" }, p.statement),
      el("span", { class: "meta" }, ` · ${p.polarity} · ${p.origin} · strength ${p.strength}${p.active ? "" : " · hidden"} `));
    p.refs.forEach((ref) => item.append(refLink(ref, "source"), " "));
    const toggle = el("button", { type: "button", class: "quiet toggle" }, p.active ? "Hide" : "Show");
    toggle.addEventListener("click", async () => {
      await jsonPost(`/api/preferences/${encodeURIComponent(p.id)}`, { active: !p.active }, "PATCH");
      await loadPrefs();
    });
    const remove = el("button", { type: "button", class: "danger remove" }, "Remove");
    remove.addEventListener("click", async () => {
      await api(`/api/preferences/${encodeURIComponent(p.id)}`, { method: "DELETE" });
      await loadPrefs();
    });
    item.append(" ", toggle, " ", remove);
    list.append(item);
  }
  list.dataset.state = "done";
}

async function addPref(event) {
  event.preventDefault();
  const statement = $("#statement").value.trim();
  if (!statement) { return; }
  $("#prefs").dataset.state = "";
  await jsonPost("/api/preferences", { statement, avoid: $("#avoid").checked });
  $("#statement").value = "";
  await loadPrefs();
}

// -- digest ----------------------------------------------------------------------------------------------------------

async function loadDigest(event) {
  if (event) { event.preventDefault(); }
  const params = new URLSearchParams({ days: $("#digest-days").value || "7" });
  if ($("#digest-as-of").value) { params.append("as_of", $("#digest-as-of").value); }
  const list = $("#digest");
  list.replaceChildren();
  try {
    const body = await (await api(`/api/digest?${params}`)).json();
    if (!body.items.length) { list.append(el("li", { class: "meta" }, "Nothing needs you in these days.")); }
    for (const item of body.items) {
      const row = el("li", { dataset: { kind: item.kind } }, el("time", {}, item.date), " ",
        el("span", { class: "tag" }, item.kind.replace(/_/g, " ")), el("span", { class: item.overdue ? "overdue" : "" }, item.title), " ");
      if (item.detail) { row.append(el("span", { class: "meta" }, ` ${item.detail} `)); }
      item.refs.forEach((ref) => row.append(refLink(ref, "source"), " "));
      list.append(row);
    }
  } catch (error) { list.append(el("li", { class: "error" }, error.message)); }
  list.dataset.state = "done";
}

// -- audit -----------------------------------------------------------------------------------------------------------

async function loadPending() {
  const waiting = await (await api("/api/pending")).json();
  const rows = waiting.pending.map((p) => {
    const act = (label, cls, path, method) => {
      const button = el("button", { type: "button", class: cls }, label);
      button.addEventListener("click", async () => {
        await api(path, { method });
        await loadAudit();
      });
      return button;
    };
    const id = encodeURIComponent(p.id);
    const buttons = el("td", {}, act("Approve", "danger", `/api/pending/${id}/approve`, "POST"), " ",
      act("Reject", "", `/api/pending/${id}`, "DELETE"));
    return el("tr", { dataset: { pending: p.id, action: p.action } }, el("td", {}, when(p.at)), el("td", {}, p.client),
      el("td", {}, p.describe), buttons);
  });
  $("#pending tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "4" }, "Nothing."))]));
  $("#pending").dataset.state = "done";
}

async function loadAudit() {
  await loadPending();
  const [grants, audit] = await Promise.all([(await api("/api/grants")).json(), (await api("/api/audit?limit=200")).json()]);
  $("#grants tbody").replaceChildren(...grants.grants.map((g) => {
    const cells = [g.client, g.scopes.join(", "), g.expires_at ? g.expires_at.slice(0, 10) : "never", g.status]
      .map((v) => el("td", {}, v));
    const action = el("td", {});
    if (g.status === "active") {
      const revoke = el("button", { type: "button", class: "danger" }, "Revoke");
      revoke.addEventListener("click", async () => {
        await api(`/api/grants/${encodeURIComponent(g.id)}`, { method: "DELETE" });
        await loadAudit();
      });
      action.append(revoke);
    }
    return el("tr", { dataset: { client: g.client, status: g.status } }, ...cells, action);
  }));
  $("#audit tbody").replaceChildren(...audit.events.slice().reverse().map((e) => {
    const refs = el("td", {});
    (e.detail.refs || []).slice(0, 5).forEach((ref) => refs.append(refLink(ref), " "));
    if ((e.detail.refs || []).length > 5) { refs.append(`+${e.detail.refs.length - 5} more`); }
    return el("tr", { dataset: { actor: e.actor } }, el("td", {}, when(e.at)), el("td", {}, e.actor), el("td", {}, e.action), refs);
  }));
  $("#audit").dataset.state = "done";
}

// -- status ----------------------------------------------------------------------------------------------------------

async function loadStatus() {
  const status = await (await api("/api/status")).json();
  const rows = [["version", status.version], ["model", status.backend], ["chunks", status.chunks],
    ["vault size", `${(status.vault_bytes / 1e6).toFixed(1)} MB`]];
  for (const [kind, n] of Object.entries(status.records)) { rows.push([kind.replace("_", " "), n]); }
  $("#status-table tbody").replaceChildren(...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, String(v)))));
  $("#features").replaceChildren(...Object.entries(status.features).map(([name, on]) =>
    el("li", { class: on ? "on" : "off" }, `${name.replace("_", " ")}: ${on ? "yes" : "not yet"}`)));
  $("#status-table").dataset.state = "done";
}

// -- start -----------------------------------------------------------------------------------------------------------

function start() {
  takeTokenFromFragment();
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token-input").value.trim());
    location.reload();
  });
  $("#logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); location.reload(); });
  if (!token()) { showLogin(); return; }
  $("#login").hidden = true;
  $("#main").hidden = false;
  $("#logout").hidden = false;
  if ($("#ask-form")) { $("#ask-form").addEventListener("submit", ask); }
  if ($("#search-form")) { $("#search-form").addEventListener("submit", search); loadRecent().catch(() => {}); }
  if ($("#status-table")) { loadStatus().catch(() => {}); }
  if ($("#people")) { loadPeople().catch(() => {}); }
  if ($("#timeline-form")) { $("#timeline-form").addEventListener("submit", loadTimeline); loadTimeline().catch(() => {}); }
  if ($("#prefer-form")) {
    $("#prefer-form").addEventListener("submit", addPref);
    $("#show-hidden").addEventListener("change", () => loadPrefs().catch(() => {}));
    loadPrefs().catch(() => {});
  }
  if ($("#digest-form")) { $("#digest-form").addEventListener("submit", loadDigest); loadDigest().catch(() => {}); }
  if ($("#audit")) { loadAudit().catch(() => {}); }
  $("#rate-up").addEventListener("click", () => rate(1));
  $("#rate-down").addEventListener("click", () => rate(-1));
  $("#forget-preview").addEventListener("click", forgetPreview);
  $("#forget-confirm").addEventListener("click", forgetConfirm);
}

document.addEventListener("DOMContentLoaded", start);
