// MailHook dashboard: plain JavaScript, no dependencies. Every value from the server is put in
// the page as text (textContent), never as markup.
"use strict";

const TOKEN_KEY = "mailhook.adminToken";
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

// The URL fragment, which browsers never send to the server, may carry `token=` (moved to session
// storage and removed from the address bar at once) and `email=` (that email's trail opens: a link
// to one email can be shared without the token).
function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("token")) {
    sessionStorage.setItem(TOKEN_KEY, params.get("token"));
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  }
  return params.get("email");
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + token() }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers, cache: "no-store" }));
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin("The token was not accepted.");
    throw new Error("unauthorised");
  }
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { error: text }; }
  if (!response.ok) throw new Error((body && (body.error || body.message)) || ("HTTP " + response.status));
  return body;
}

function showLogin(message) {
  $("board").hidden = true;
  $("trail").hidden = true;
  $("refresh").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

function setText(id, value) { $(id).textContent = value === undefined || value === null ? "–" : String(value); }

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function svg(tag, attributes, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return isNaN(date) ? String(iso) : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

// The last seven UTC days, oldest first, with the server's counts and zeros for quiet days.
function lastSevenDays(daily) {
  const byDay = new Map(daily.map((d) => [d.day, d]));
  const days = [];
  for (let back = 6; back >= 0; back--) {
    const day = new Date(Date.now() - back * 86400000).toISOString().slice(0, 10);
    days.push(byDay.get(day) || { day, processed: 0, completed: 0, failed: 0, escalations: 0 });
  }
  return days;
}

// Emails per day as bars (failed ones stacked in the error colour), one slot per day.
function drawTrend(daily) {
  const chart = $("trend-chart");
  chart.replaceChildren();
  const days = lastSevenDays(daily);
  const width = 420, height = 180, left = 34, bottom = 22, top = 10;
  const max = Math.max(1, ...days.map((d) => d.processed));
  const step = (width - left - 8) / days.length;
  chart.appendChild(svg("line", { x1: left, y1: height - bottom, x2: width - 4, y2: height - bottom, class: "axis" }));
  chart.appendChild(svg("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, max));
  chart.appendChild(svg("text", { x: left - 4, y: height - bottom, "text-anchor": "end" }, 0));
  days.forEach((day, i) => {
    const x = left + i * step + step * 0.15, w = step * 0.7;
    const h = (height - bottom - top) * day.processed / max;
    const failed = (height - bottom - top) * day.failed / max;
    chart.appendChild(svg("text", { x: x + w / 2, y: height - 6, "text-anchor": "middle" }, day.day.slice(5)));
    if (day.processed === 0) return;
    const bar = svg("rect", { x, y: height - bottom - h, width: w, height: h, class: "bar" });
    bar.appendChild(svg("title", {}, `${day.day}: ${day.processed} processed, ${day.failed} failed, ${day.escalations} escalated`));
    chart.appendChild(bar);
    if (failed > 0) chart.appendChild(svg("rect", { x, y: height - bottom - failed, width: w, height: failed, class: "bar-failed" }));
  });
}

// Emails per category as horizontal bars with their counts.
function drawCategories(categories) {
  const chart = $("category-chart");
  chart.replaceChildren();
  const width = 420, left = 110, row = 30;
  if (!categories.length) { chart.appendChild(svg("text", { x: width / 2, y: 90, "text-anchor": "middle" }, "No emails yet")); return; }
  const max = Math.max(1, ...categories.map((c) => c.count));
  categories.forEach((c, i) => {
    const y = 10 + i * row;
    const w = (width - left - 50) * c.count / max;
    chart.appendChild(svg("text", { x: left - 6, y: y + 15, "text-anchor": "end" }, c.category));
    const bar = svg("rect", { x: left, y, width: Math.max(w, 1), height: 20, class: "bar" });
    bar.appendChild(svg("title", {}, `${c.category}: ${c.count}, average confidence ${c.average_confidence}`));
    chart.appendChild(bar);
    chart.appendChild(svg("text", { x: left + w + 6, y: y + 15, "data-category": c.category }, c.count));
  });
}

function fillReviewQueue(items) {
  const body = $("review-queue").querySelector("tbody");
  body.replaceChildren();
  if (!items.length) {
    const cell = el("td", "Nothing waits for a person.", "empty");
    cell.colSpan = 6;
    body.appendChild(el("tr")).appendChild(cell);
    return;
  }
  for (const item of items) {
    const tr = el("tr");
    tr.tabIndex = 0;
    tr.dataset.emailId = item.id;
    tr.appendChild(el("td", when(item.received_at)));
    tr.appendChild(el("td", item.sender));
    tr.appendChild(el("td", item.subject));
    tr.appendChild(el("td", item.category || ""));
    tr.appendChild(el("td", item.confidence === null || item.confidence === undefined ? "" : item.confidence, "num"));
    tr.appendChild(el("td", item.decision, "decision-" + item.decision));
    tr.addEventListener("click", () => openTrail(item.id));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openTrail(item.id); });
    body.appendChild(tr);
  }
}

function fillCandidates(patterns) {
  const body = $("candidates").querySelector("tbody");
  body.replaceChildren();
  if (!patterns.length) {
    const cell = el("td", "No repeated subjects yet.", "empty");
    cell.colSpan = 4;
    body.appendChild(el("tr")).appendChild(cell);
    return;
  }
  for (const p of patterns) {
    const tr = el("tr");
    tr.appendChild(el("td", p.signature));
    tr.appendChild(el("td", p.frequency, "num"));
    tr.appendChild(el("td", p.automation_potential + " %", "num"));
    tr.appendChild(el("td", p.estimated_minutes_saved, "num"));
    body.appendChild(tr);
  }
}

async function loadDashboard() {
  $("status").textContent = "Loading…";
  try {
    const d = await api("/analytics/dashboard");
    $("login").hidden = true;
    $("board").hidden = false;
    $("refresh").hidden = false;
    $("sign-out").hidden = false;
    setText("processed-24h", d.last_24h.processed);
    setText("completed-24h", d.last_24h.completed);
    setText("failed-24h", d.last_24h.failed);
    setText("escalations-24h", d.last_24h.escalations);
    setText("processed-7d", d.last_7d.processed);
    setText("replies-7d", d.last_7d.replies_sent);
    setText("drafts-7d", d.last_7d.drafts);
    setText("reviews-7d", d.last_7d.reviews);
    setText("escalations-7d", d.last_7d.escalations);
    setText("inbox-pending", d.inbox.pending);
    setText("inbox-processing", d.inbox.processing);
    setText("inbox-dead", d.inbox.dead_letters);
    setText("active-escalations", d.active_escalations);
    drawTrend(d.daily);
    drawCategories(d.categories);
    fillReviewQueue(d.review_queue);
    fillCandidates(d.automation_candidates);
    $("status").textContent = "Updated " + new Date().toLocaleTimeString();
  } catch (error) {
    if (error.message !== "unauthorised") $("status").textContent = "Could not load: " + error.message;
  }
}

let trailId = null;

async function openTrail(id) {
  trailId = id;
  $("fb-result").textContent = "";
  try {
    const t = await api("/emails/" + encodeURIComponent(id));
    $("trail-title").textContent = t.email.subject || "(no subject)";
    const facts = $("trail-facts");
    facts.replaceChildren();
    const latest = (t.processing || [])[0] || {};
    const routing = latest.routing || {};
    const rows = [
      ["From", t.email.sender], ["Received", when(t.email.received_at)], ["Status", t.email.processing_status],
      ["Category", t.classification ? `${t.classification.category} (${t.classification.confidence})` : ""],
      ["Urgency", t.classification ? t.classification.urgency : ""], ["Model", t.classification ? t.classification.model_used : ""],
      ["Decision", routing.decision ? `${routing.decision} (${routing.rule || ""})` : ""],
    ];
    for (const [k, v] of rows) { facts.appendChild(el("dt", k)); facts.appendChild(el("dd", v || "")); }
    $("trail-body").textContent = t.email.body;
    const cues = $("trail-cues");
    cues.replaceChildren();
    if (t.classification) cues.appendChild(el("li", t.classification.reasoning));
    if (routing.explanation) cues.appendChild(el("li", routing.explanation));
    const actions = $("trail-actions");
    actions.replaceChildren();
    for (const a of t.actions || []) actions.appendChild(el("li", `${a.action} (${a.mode}): ${a.status}`));
    if (!(t.actions || []).length) actions.appendChild(el("li", "none", "empty"));
    if (t.classification) $("fb-category").value = t.classification.category;
    $("trail").hidden = false;
  } catch (error) {
    if (error.message !== "unauthorised") $("status").textContent = "Could not open the email: " + error.message;
  }
}

async function sendFeedback(event) {
  event.preventDefault();
  if (!trailId) return;
  const body = { email_id: trailId, correct_category: $("fb-category").value, rating: $("fb-rating").value };
  if ($("fb-urgency").value) body.correct_urgency = $("fb-urgency").value;
  if ($("fb-comment").value.trim()) body.comment = $("fb-comment").value.trim();
  try {
    await api("/analytics/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    $("fb-result").textContent = "Thank you: recorded. `mailhook train --feedback` learns from it.";
  } catch (error) {
    if (error.message !== "unauthorised") $("fb-result").textContent = "Not recorded: " + error.message;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const email = readFragment();
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    loadDashboard();
  });
  $("refresh").addEventListener("click", loadDashboard);
  $("sign-out").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); showLogin(""); });
  $("trail-close").addEventListener("click", () => { $("trail").hidden = true; trailId = null; });
  $("feedback").addEventListener("submit", sendFeedback);
  if (token()) {
    loadDashboard().then(() => { if (email && !$("board").hidden) openTrail(email); });
  } else {
    showLogin("");
  }
});
