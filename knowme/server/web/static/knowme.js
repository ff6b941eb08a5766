// knowme web page: the token, API calls, and the three views (chat, memory, status). No build step.
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

async function openRecord(ref) {
  const dialog = $("#record");
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
  const params = new URLSearchParams({ q: $("#query").value, k: "20" });
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
}

document.addEventListener("DOMContentLoaded", start);
