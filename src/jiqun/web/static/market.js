// jiqun live market: the display board and the buyer console (no build step, no CDN).
// The server never streams the price: it sends round starts (at, start, step, tick, ends_at)
// and the page draws S - floor((t - at) / tick) * step from its estimate of server time.
// A round is announced before it starts (at in the future): the start price shows until then.
"use strict";
(function () {
  const app = document.getElementById("app");
  if (!app) return;
  const T = JSON.parse(document.getElementById("texts").textContent);
  const hall = app.dataset.hall, page = app.dataset.page, csrf = app.dataset.csrf || "";
  const $ = (id) => document.getElementById(id);
  const yuan = (fen) => (fen / 100).toFixed(2);
  let ws = null, offset = 0, bestRtt = Infinity, state = null, round = null, stopped = null;
  let pressId = 0, retry = 500;

  // ---- time: NTP-style offset, the minimum-delay sample kept, re-estimated periodically
  const serverNow = () => Date.now() + offset;
  function sync() { if (ws && ws.readyState === 1) ws.send(JSON.stringify({ t: "sync", c: Date.now() })); }
  function onSync(m) {
    const now = Date.now(), rtt = now - m.c;
    if (rtt < 0) return;
    if (rtt <= bestRtt * 1.5 || rtt < 20) {  // keep the tightest samples; drift slowly forgotten
      bestRtt = Math.min(bestRtt * 1.05 + 1, rtt);
      offset = m.s - (m.c + rtt / 2);
    }
  }

  // ---- the clock
  function priceAt(t) {
    if (!round) return null;
    if (stopped) return stopped.price_fen;
    if (t < round.at) return round.start_fen;
    if (t >= round.ends_at) return null;
    return round.start_fen - Math.floor((t - round.at) / round.tick_ms) * round.step_fen;
  }
  function tickAt(t) { return round ? Math.max(0, Math.floor((t - round.at) / round.tick_ms)) : null; }
  function draw() {
    const canvas = $("clock");
    if (canvas) {
      const c = canvas.getContext("2d"), w = canvas.width, r = w / 2 - 10;
      c.clearRect(0, 0, w, w);
      c.strokeStyle = "#8fd3ff"; c.lineWidth = 6;
      c.beginPath(); c.arc(w / 2, w / 2, r, 0, 2 * Math.PI); c.stroke();
      for (let i = 0; i < 100; i++) {
        const a = (i / 100) * 2 * Math.PI - Math.PI / 2, inner = i % 10 === 0 ? r - 30 : r - 14;
        c.lineWidth = i % 10 === 0 ? 4 : 2;
        c.beginPath(); c.moveTo(w / 2 + inner * Math.cos(a), w / 2 + inner * Math.sin(a));
        c.lineTo(w / 2 + r * Math.cos(a), w / 2 + r * Math.sin(a)); c.stroke();
      }
      const t = serverNow(), p = priceAt(t);
      if (round && p !== null) {
        const k = stopped ? Math.floor((stopped.at - round.at) / round.tick_ms) : tickAt(t);
        const a = ((k % 100) / 100) * 2 * Math.PI - Math.PI / 2;
        c.fillStyle = stopped ? "#ff6b6b" : "#7dff7a";
        c.beginPath(); c.arc(w / 2 + (r - 45) * Math.cos(a), w / 2 + (r - 45) * Math.sin(a), 14, 0, 2 * Math.PI); c.fill();
      }
    }
    if (round && !stopped && state && !state.held) showPhase(serverNow() < round.at ? T.waiting : T.running);
    const p = priceAt(serverNow()), el = $("price");
    if (el) {
      el.textContent = p === null ? "—" : yuan(p) + " " + T.yuan_kg;
      el.classList.toggle("locked", !!stopped);
    }
    requestAnimationFrame(draw);
  }

  // ---- the board
  function lotLine(l) { return `${l.id} ${l.variety} ${l.grade} ${l.origin || ""} ${l.units}${T.units} ≤${yuan(l.start_price_fen)}`; }
  function resultLine(m) {
    return m.t === "sale" ? `${m.lot} ${m.variety} ${m.grade} · ${m.buyer} · ${m.qty}${T.units} @ ${yuan(m.price_fen)} ${T.yuan_kg}`
      : `${m.lot} ${T.withdrawn} ${m.units}${T.units}`;
  }
  function list(id, items, fmt) {
    const ol = $(id); if (!ol) return;
    ol.replaceChildren(...items.map((x) => { const li = document.createElement("li"); li.textContent = fmt(x); return li; }));
  }
  function set(id, v) { const el = $(id); if (el) el.textContent = v; }
  function showPhase(v) { const el = $("phase"); if (el && el.textContent !== v) el.textContent = v; }
  function showLot(l) {
    set("f-id", l ? l.id : "—"); set("f-variety", l ? l.variety : "—"); set("f-origin", l ? l.origin : "—");
    set("f-grade", l ? l.grade : "—"); set("f-package", l ? l.package : "—"); set("f-supplier", l ? l.supplier : "—");
    set("f-units", l ? `${l.remaining ?? l.units} ${T.units}` : "—");
    set("f-start", l ? `${yuan(l.start_price_fen)} ${T.yuan_kg}` : "—");
    set("f-min", l ? `${l.min_purchase} ${T.units}` : "—");
  }
  // A state holds every input up to its seq: a broadcast that is not newer is already in it.
  function onState(m) {
    state = m; round = m.round; stopped = m.stopped ? { ...m.stopped } : null;
    showLot(m.lot); list("next", m.next, lotLine); list("results", m.results, resultLine);
    set("phase", m.held ? (T.held || T[m.phase] || m.phase) : (T[m.phase] || m.phase));
  }
  const same = (a, b) => a.t === b.t && a.lot === b.lot && a.at === b.at && a.buyer === b.buyer && a.qty === b.qty;
  function addResults(items) {  // newest first; a result the state already had is not repeated
    if (!state) return;
    const fresh = items.filter((x) => !state.results.some((y) => same(x, y)));
    state.results = [...fresh, ...state.results].slice(0, 5); list("results", state.results, resultLine);
  }
  function onEvent(m) {
    if (state && m.seq !== undefined && state.seq !== undefined && m.seq <= state.seq) return;
    if (m.t === "round") { round = m; stopped = null; }  // the phase is drawn from round.at
    else if (m.t === "stopped") { stopped = m; set("phase", T.window); }
    else if (m.t === "sold" || m.t === "withdrawn") {  // sold: a stop window's sales, once
      addResults(m.t === "sold" ? [...m.sales].reverse() : [m]);
      if (state && state.lot && state.lot.id === m.lot) {
        state.lot.remaining = m.t === "sold" ? m.remaining : 0; showLot(state.lot);
      }
      if (m.t === "withdrawn") { round = null; stopped = null; }
      if (page === "buyer") refreshMe();
    } else if (m.t === "queue") {  // a lot was added among the next ones
      if (state) { state.next = m.next; state.lots_left = m.lots_left; list("next", m.next, lotLine); }
    } else if (m.t === "closed") { round = null; stopped = null; set("phase", T.closed); }
  }

  // ---- the buyer
  function press() {
    if (!ws || ws.readyState !== 1 || !state || !state.lot) return;
    const qty = parseInt($("qty").value, 10);
    ws.send(JSON.stringify({ t: "press", id: ++pressId, lot: state.lot.id, round: round ? round.round : null,
      tick: tickAt(serverNow()), qty: qty }));
  }
  function onAck(m) {
    set("result", m.result === "sale" ? `${T.you_bought} ${m.qty}${T.units} @ ${yuan(m.price_fen)} ${T.yuan_kg}`
      : `${T.rejected}: ${T["reason_" + m.reason] || m.reason}`);
    refreshMe();
  }
  async function refreshMe() {
    const r = await fetch("/api/me", { credentials: "same-origin" });
    if (!r.ok) return;
    const me = await r.json();
    if (me.balance_fen !== undefined) {
      set("balance", `${T.balance} ${yuan(me.balance_fen)} ${T.yuan}`);
      set("spent", `${yuan(me.spent_today_fen)} ${T.yuan}`);
      set("limit", me.daily_limit_fen === null ? "—" : `${yuan(me.daily_limit_fen)} ${T.yuan}`);
      list("today", me.today, (x) => `${new Date(x.at).toLocaleTimeString()} ${yuan(x.amount_fen)} ${T.yuan} ${x.detail}`);
    }
  }
  if (page === "buyer") {
    $("press").addEventListener("click", press);
    document.addEventListener("keydown", (e) => {
      if (e.code === "Space" && e.target.tagName !== "INPUT") { e.preventDefault(); press(); }
    });
    refreshMe();
  }

  // ---- the socket: reconnects and gets the state again
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const q = csrf ? `?csrf=${encodeURIComponent(csrf)}` : "";
    ws = new WebSocket(`${proto}//${location.host}/ws/${encodeURIComponent(hall)}${q}`);
    ws.onopen = () => { retry = 500; set("status", ""); for (let i = 0; i < 5; i++) setTimeout(sync, i * 200); };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.t === "sync") onSync(m);
      else if (m.t === "state") onState(m);
      else if (m.t === "ack") onAck(m);
      else onEvent(m);
    };
    ws.onclose = () => { set("status", T.offline); setTimeout(connect, retry); retry = Math.min(retry * 2, 5000); };
  }
  // every 10 s; every second while no sample was tight (all taken while something was busy)
  (function resync() { sync(); setTimeout(resync, bestRtt > 20 ? 1000 : 10000); })();
  connect();
  requestAnimationFrame(draw);
})();
