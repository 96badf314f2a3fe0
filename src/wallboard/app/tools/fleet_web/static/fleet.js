// The fleet page: cards from the server's events, ages counted here. Every text from a board is set with
// textContent (never innerHTML), so a name holding markup shows as the characters it is.
"use strict";

const cards = new Map();      // id -> card JSON
const elements = new Map();   // id -> card element
let sites = [];
let offset = 0;               // server clock - this clock, seconds
let lastEvent = 0;            // when the stream last said anything (this clock, ms)
let openId = null;
let streamUp = false;
let brokerUp = true;
let streamWhy = "connecting to the server…";
const SILENCE_MS = 40000;     // the server sends a keepalive every 15 s: this long without one is not live

const $ = (id) => document.getElementById(id);
const now = () => Date.now() / 1000 + offset;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "-";
  seconds = Math.max(0, seconds);
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function clock(epoch) {
  return epoch ? new Date(epoch * 1000).toLocaleTimeString() : "-";
}

function stateWord(card) {
  if (card.flags.some((f) => f.flag === "unreachable")) return "SITE UNREACHABLE";
  if (card.state === "online") return "ONLINE";
  if (card.state === "offline") return "OFFLINE";
  return card.flags.some((f) => f.flag === "silent") ? "SILENT" : "NOT CURRENT";
}

function shotUrl(card) {
  return `/api/shot?id=${encodeURIComponent(card.id)}&v=${card.shot.version}`;
}

function setLive(up, why) {
  streamUp = up;
  if (why) streamWhy = why;
  showLink();
}

function showLink() {
  // Live only while the stream answers and the server hears the broker: otherwise every number may be old.
  const live = streamUp && brokerUp;
  const link = $("link");
  link.className = live ? "link-up" : "link-down";
  link.textContent = live ? "Live" : `Not live: ${streamUp ? "the fleet server has lost the broker, retrying…" : streamWhy}`;
  document.body.classList.toggle("stale", !live);
}

function buildCard(card) {
  const node = el("button", "card");
  node.type = "button";
  node.addEventListener("click", () => openDetail(card.id));
  const thumb = el("div", "thumb");
  const body = el("div", "body");
  const title = el("div", "title");
  title.append(el("span", "name"), el("span", "pill"));
  body.append(title, el("div", "alarm"), el("div", "facts seen"), el("div", "facts more"), el("div", "flags"),
    el("div", "reason"));
  node.append(thumb, body);
  return node;
}

function fillCard(node, card) {
  node.dataset.id = card.id;
  node.dataset.state = card.state;
  node.dataset.flags = card.flags.map((f) => f.flag).join(",");
  node.className = `card state-${card.state}` + (card.flags.length ? " flagged" : "");
  const label = card.name ? `${card.board} · ${card.name}` : card.board;
  node.setAttribute("aria-label", `${card.site} ${label}: ${stateWord(card)}`);
  node.querySelector(".name").textContent = label;
  const pill = node.querySelector(".pill");
  pill.className = `pill ${card.state}`;
  pill.textContent = stateWord(card);
  const alarm = node.querySelector(".alarm");
  alarm.className = `alarm alarm-${card.alarm || "none"}`;
  alarm.textContent = card.alarm ? `alarm ${card.alarm}` + (card.acknowledged ? ` (acknowledged ${card.acknowledged})` : "") : "alarm -";
  const more = [];
  if (card.version) more.push(`v${card.version}`);
  if (card.temperature_c !== null) more.push(`${Math.round(card.temperature_c)} °C`);
  if (card.screen) more.push(card.screen);
  if (card.signals) more.push(card.signals);
  node.querySelector(".more").textContent = more.join(" · ");
  const flags = node.querySelector(".flags");
  flags.replaceChildren(...card.flags.map((f) => {
    const chip = el("span", `flag ${f.flag}`, f.flag);
    chip.title = f.reason;
    return chip;
  }));
  node.querySelector(".reason").textContent = card.flags.length ? card.flags[0].reason : "";
  const thumb = node.querySelector(".thumb");
  if (card.shot && card.shot.version) {
    let img = thumb.querySelector("img");
    if (!img) {
      img = el("img");
      img.loading = "lazy";
      img.decoding = "async";
      thumb.replaceChildren(img, el("span", "shot-age"));
    }
    img.alt = `screen of ${card.site}/${card.board}`;
    const url = shotUrl(card);
    if (img.getAttribute("src") !== url) img.src = url;
  } else {
    thumb.replaceChildren(el("span", "", card.shot && card.shot.error ? `no screenshot: ${card.shot.error}` :
      card.state === "online" ? "screenshot on its way" : "no screenshot"));
  }
  tickCard(node, card);
}

function tickCard(node, card) {
  const t = now();
  const seen = node.querySelector(".seen");
  let words;
  if (card.unreachable_since) words = `site unreachable since ${clock(card.unreachable_since)}`;
  else words = `status ${duration(t - (card.published_at || t))} ago`;
  if (card.state !== "offline" && card.newest_age_s !== null && card.published_at) {
    words += ` · data ${duration(card.newest_age_s + t - card.published_at)} old`;
  }
  seen.textContent = words;
  const age = node.querySelector(".shot-age");
  if (age && card.shot && card.shot.at) age.textContent = `shot ${duration(t - card.shot.at)} ago`;
}

function render() {
  const onlyFlagged = $("only-flagged").checked;
  const main = $("sites");
  const bySite = new Map(sites.map((s) => [s.id, []]));
  for (const card of cards.values()) {
    const site = card.id.slice(0, card.id.indexOf("/"));
    if (!bySite.has(site)) bySite.set(site, []);
    bySite.get(site).push(card);
  }
  const sections = [];
  for (const [siteId, list] of [...bySite.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const info = sites.find((s) => s.id === siteId) || { site: list.length ? list[0].site : siteId, bridge: null };
    const section = el("section", "site");
    const head = el("h2", "", info.site);
    if (info.bridge) head.append(el("span", `bridge ${info.bridge}`, `bridge ${info.bridge}`));
    const flagged = list.filter((c) => c.flags.length).length;
    head.append(el("span", "facts", plural(list.length, "board") + (flagged ? `, ${flagged} flagged` : "")));
    const grid = el("div", "grid");
    list.sort((a, b) => a.id.localeCompare(b.id));
    for (const card of list) {
      if (onlyFlagged && !card.flags.length) continue;
      let node = elements.get(card.id);
      if (!node) {
        node = buildCard(card);
        elements.set(card.id, node);
        fillCard(node, card);
      }
      grid.append(node);
    }
    section.append(head, grid);
    sections.push(section);
  }
  main.replaceChildren(...sections);
  const all = [...cards.values()];
  const off = all.filter((c) => c.state === "offline").length;
  const flaggedAll = all.filter((c) => c.flags.length).length;
  $("summary").textContent = `${plural(all.length, "board")} · ${off} offline · ${flaggedAll} flagged · ${plural(sites.length, "site")}`;
}

function take(data, replace) {
  offset = data.now - Date.now() / 1000;
  lastEvent = Date.now();
  if (replace) {
    cards.clear();
    elements.clear();
  }
  sites = data.sites;
  if (data.broker_up !== undefined && data.broker_up !== brokerUp) {
    brokerUp = data.broker_up;
    showLink();
  }
  for (const id of data.gone || []) {
    cards.delete(id);
    elements.delete(id);
  }
  const list = replace ? data.boards : data.cards;
  for (const card of list) {
    cards.set(card.id, card);
    const node = elements.get(card.id);
    if (node) fillCard(node, card);
    if (card.id === openId) fillDetail(card, false);
  }
  render();
}

function openDetail(id) {
  const card = cards.get(id);
  if (!card) return;
  openId = id;
  fillDetail(card, true);
  const dialog = $("detail");
  if (!dialog.open) dialog.showModal();
}

function fillDetail(card, fresh) {
  $("detail-title").textContent = `${card.site} / ${card.board}` + (card.name ? ` · ${card.name}` : "");
  $("detail-state").textContent = `${stateWord(card)} · alarm ${card.alarm || "-"} · status at ${clock(card.published_at)}`;
  $("detail-flags").replaceChildren(...card.flags.map((f) => el("li", "", `${f.flag}: ${f.reason}`)));
  const img = $("detail-shot");
  if (card.shot && card.shot.version) {
    const url = shotUrl(card);
    if (img.getAttribute("src") !== url) img.src = url;
    img.alt = `screen of ${card.site}/${card.board}`;
    $("detail-shot-age").textContent = `screenshot taken ${clock(card.shot.at)}`;
  } else {
    img.removeAttribute("src");
    $("detail-shot-age").textContent = card.shot && card.shot.error ? `no screenshot: ${card.shot.error}` : "no screenshot yet";
  }
  const facts = [
    ["version", card.version], ["uptime", duration(card.uptime_s)],
    ["temperature", card.temperature_c === null ? "-" : `${card.temperature_c} °C`],
    ["screen", card.screen], ["stack light", card.signals], ["remote config", card.config],
    ["config problems", card.config_problems.join("; ")],
    ["status every", card.interval_s ? `${card.interval_s} s` : null],
  ];
  $("detail-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", "", k), el("dd", "", v || "-")]));
  const query = `id=${encodeURIComponent(card.id)}`;
  if (fresh) {
    // A newly opened board never shows the previous board's twin or status while its own are loading.
    $("detail-twin").textContent = "loading the text twin…";
    $("detail-status").textContent = "loading the status…";
  }
  fetch(`/api/twin?${query}` + (fresh ? "&fresh=1" : ""), { cache: "no-store" })
    .then((r) => r.json())
    .then((twin) => {
      if (openId !== card.id) return;
      $("detail-twin").textContent = twin.lines.length ? twin.lines.join("\n") : "no text twin yet (it comes with each screenshot)";
    })
    .catch(() => { if (openId === card.id) $("detail-twin").textContent = "could not load the text twin"; });
  fetch(`/api/status?${query}`, { cache: "no-store" })
    .then((r) => r.json())
    .then((doc) => { if (openId === card.id) $("detail-status").textContent = JSON.stringify(doc, null, 2); })
    .catch(() => { if (openId === card.id) $("detail-status").textContent = "could not load the status"; });
}

let source = null;

function connect() {
  if (source) source.close();
  lastEvent = Date.now();
  source = new EventSource("/events");
  source.addEventListener("open", () => { lastEvent = Date.now(); });
  source.addEventListener("snapshot", (e) => { take(JSON.parse(e.data), true); setLive(true); });
  source.addEventListener("cards", (e) => { take(JSON.parse(e.data), false); });
  source.addEventListener("ping", (e) => { offset = JSON.parse(e.data).now - Date.now() / 1000; lastEvent = Date.now(); });
  source.addEventListener("error", () => { setLive(false, "lost the server, reconnecting…"); });
}

function tick() {
  if (Date.now() - lastEvent > SILENCE_MS) {
    setLive(false, "no word from the server, reconnecting…");
    connect();  // a stream that says nothing may be dead without an error: start a new one
  }
  for (const [id, node] of elements) {
    const card = cards.get(id);
    if (card) tickCard(node, card);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("only-flagged").addEventListener("change", render);
  $("detail-close").addEventListener("click", () => $("detail").close());
  $("detail").addEventListener("close", () => { openId = null; });
  connect();
  setInterval(tick, 1000);
});
