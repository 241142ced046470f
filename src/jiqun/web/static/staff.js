// jiqun staff consoles: auctioneer, cashier, supplier, admin (no build step, no CDN).
// Every state-changing call carries the session's CSRF token and an Idempotency-Key made once
// per action, so that a retried request (a timeout, a double click) is not carried out twice.
"use strict";
(function () {
  const app = document.getElementById("staff");
  if (!app) return;
  const T = JSON.parse(document.getElementById("texts").textContent);
  const csrf = app.dataset.csrf || "", lang = app.dataset.lang || "zh", page = app.dataset.page;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // fen as "1,234.50元" (integers only: no float rounding of money)
  function yuan(fen) {
    const neg = fen < 0, f = Math.abs(fen), whole = Math.floor(f / 100), cents = f % 100;
    const text = (neg ? "-" : "") + whole.toLocaleString("en-US") + "." + String(cents).padStart(2, "0");
    return lang === "zh" ? text + "元" : text + " yuan";
  }
  // "1234.5" yuan → 123450 fen, exactly
  function fen(text) {
    const m = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(text || "");
    if (!m) return null;
    return parseInt(m[1], 10) * 100 + parseInt((m[2] || "0").padEnd(2, "0"), 10);
  }
  const when = (ms) => new Date(ms).toLocaleTimeString();
  const requestId = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

  function say(text, bad) {
    const el = $("message");
    el.textContent = text;
    el.className = "message " + (bad ? "bad" : "good");
  }
  async function get(path) {
    const r = await fetch(path, { credentials: "same-origin" });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || r.status);
    return r.json();
  }
  // POST with the same request id on each retry of one action
  async function post(path, body, id) {
    const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Idempotency-Key": id || requestId() };
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fetch(path, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body || {}) });
        const data = await r.json().catch(() => ({}));
        if (!r.ok) { say(`${T.error}: ${T["reason_" + data.error] || data.error || r.status}`, true); return null; }
        return data;
      } catch (e) {  // the network: retry with the same id
        if (attempt >= 2) { say(`${T.error}: ${e}`, true); return null; }
        await new Promise((res) => setTimeout(res, 500 * (attempt + 1)));
      }
    }
  }
  function rows(tbody, items, cells) {
    const body = $(tbody).querySelector("tbody") || $(tbody);
    body.innerHTML = items.map((x) => "<tr>" + cells(x).map((c) => `<td>${c}</td>`).join("") + "</tr>").join("");
  }
  function options(select, items, label) {
    const el = $(select), keep = el.value;
    el.innerHTML = items.map((x) => `<option value="${esc(x.id)}">${esc(label(x))}</option>`).join("");
    if (keep) el.value = keep;
  }

  // ---------------------------------------------------------------- cashier
  async function cashier() {
    let selected = null;
    async function refresh() {
      const { members } = await get("/api/cashier/members");
      options("cash-member", members, (m) => `${m.id} ${m.name} (${T[m.role] || m.role})`);
      options("card-member", members, (m) => `${m.id} ${m.name}`);
      rows("members", members, (m) => [
        `<a href="#" data-member="${esc(m.id)}">${esc(m.id)}</a>`, esc(m.name), esc(T[m.role] || m.role),
        `<span class="num">${yuan(m.balance_fen)}</span>`, m.suspended ? T.suspended : T.active,
        esc(m.cards.map((c) => c.card_no).join(", ")),
      ]);
      if (selected) await statement(selected);
    }
    async function statement(member) {
      selected = member;
      $("statement-of").textContent = member;
      const s = await get(`/api/members/${encodeURIComponent(member)}/statement`);
      rows("statement", s.lines.slice().reverse(), (l) => [
        when(l.at_ms), esc(T[l.item] || l.item) + " " + esc(l.detail), `<span class="num">${yuan(l.amount_fen)}</span>`,
        `<span class="num">${yuan(l.balance_fen)}</span>`,
        `<a href="/receipts/${encodeURIComponent(l.key)}?lang=${lang}" target="_blank">${esc(l.key)}</a>`,
      ]);
    }
    $("members").addEventListener("click", (e) => {
      const a = e.target.closest("a[data-member]");
      if (a) { e.preventDefault(); statement(a.dataset.member); }
    });
    let pending = null;  // one request id per (kind, member, amount) until it is answered
    $("cash").addEventListener("submit", async (e) => {
      e.preventDefault();
      const kind = e.submitter ? e.submitter.value : "deposits", member = $("cash-member").value;
      const amount = fen($("cash-amount").value);
      if (!amount) { say(`${T.error}: ${T.amount}`, true); return; }
      const sig = `${kind}|${member}|${amount}`;
      if (!pending || pending.sig !== sig) pending = { sig, id: requestId() };
      const done = await post(`/api/cashier/${kind}`, { member, amount_fen: amount }, pending.id);
      if (done) {
        pending = null;
        say(`${T.ok}: ${T[done.kind]} ${member} ${yuan(done.amount_fen)} → ${T.balance} ${yuan(done.balance_fen)}`);
        const link = document.createElement("a");
        link.href = `/receipts/${encodeURIComponent(done.receipt)}?lang=${lang}`; link.target = "_blank";
        link.id = "last-receipt"; link.textContent = ` ${T.receipt} ${done.receipt}`;
        $("message").append(link);
        $("cash-amount").value = "";
        selected = member;
        await refresh();
      }
    });
    $("card").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target, deposit = fen(f.deposit.value);
      if (deposit === null) { say(`${T.error}: ${T.card_deposit}`, true); return; }
      const done = await post("/api/cashier/cards", { member: f.member.value, card_no: f.card_no.value, deposit_fen: deposit });
      if (done) { say(`${T.ok}: ${T.issue_card} ${done.card_no} → ${done.member}`); f.card_no.value = ""; await refresh(); }
    });
    await refresh();
  }


  // ---------------------------------------------------------------- auctioneer
  async function auctioneer() {
    const hall = app.dataset.hall, base = `/api/halls/${encodeURIComponent(hall)}`;
    let round = null, stopped = null, offset = 0, pending = [], phase = null;
    function showPhase(v, held) {
      phase = v;
      $("phase").textContent = T[v] || v;
      $("phase").className = "phase-" + v;
      $("held").textContent = held ? `(${T.held})` : "";
    }
    async function refresh() {
      const v = await get(`/api/auctioneer/halls/${encodeURIComponent(hall)}`);
      offset = v.s - Date.now();
      round = v.round; stopped = v.stopped;
      showPhase(v.phase, v.held);
      $("current").textContent = v.lot ? `${v.lot.id} ${v.lot.variety} ${v.lot.grade} · ${T.remaining} ${v.lot.remaining}` : "—";
      const f = $("clock");
      if (!f.tick_ms.value) { f.tick_ms.value = v.next_clock.tick_ms; f.step_fen.value = v.next_clock.step_fen; }
      pending = v.queue.filter((l) => l.status === "pending").map((l) => l.id);
      rows("queue", v.queue, (l) => [
        esc(l.id), esc(l.variety), esc(l.grade), esc(l.supplier), `${l.remaining}/${l.units}`,
        `<span class="num">${yuan(l.start_price_fen)}</span>`, `<span class="num">${yuan(l.reserve_price_fen)}</span>`,
        esc(T[l.status] || l.status) + (l.sold ? ` · ${T.sold} ${l.sold}` : ""),
        l.status === "pending"
          ? `<button data-up="${esc(l.id)}">${T.move_up}</button> <button data-withdraw="${esc(l.id)}">${T.withdraw_lot}</button>` : "",
      ]);
    }
    async function presses() {
      const { presses } = await get(`/api/auctioneer/halls/${encodeURIComponent(hall)}/presses`);
      rows("presses", presses, (p) => [
        when(p.at), esc(p.buyer), esc(p.lot), esc(p.qty), `${p.round ?? "—"}/${p.tick ?? "—"}`,
        p.result === "sale" ? `${T.sold} ${p.sold_qty} @ ${yuan(p.price_fen)}` : T.rejected,
      ]);
    }
    function tick() {
      const now = Date.now() + offset;
      // a round is announced before it starts (no message when it does): its start is drawn
      if (round && phase === "waiting" && now >= round.at) showPhase("running", false);
      let p = null;
      if (stopped) p = stopped.price_fen;
      else if (round && now < round.ends_at) p = round.start_fen - Math.max(0, Math.floor((now - round.at) / round.tick_ms)) * round.step_fen;
      $("price").textContent = p === null ? "—" : yuan(p) + "/kg";
      requestAnimationFrame(tick);
    }
    async function command(path, body) {
      const done = await post(`${base}/${path}`, body);
      if (done) { say(T.ok); await refresh(); }
    }
    $("do-open").onclick = () => command("open");
    $("do-pause").onclick = () => command("pause");
    $("do-resume").onclick = () => command("resume");
    $("clock").addEventListener("submit", (e) => {
      e.preventDefault();
      command("clock", { tick_ms: parseInt(e.target.tick_ms.value, 10), step_fen: parseInt(e.target.step_fen.value, 10) });
    });
    $("queue").addEventListener("click", (e) => {
      const up = e.target.closest("[data-up]"), out = e.target.closest("[data-withdraw]");
      if (up) {
        const order = pending.slice(), i = order.indexOf(up.dataset.up);
        if (i > 0) { [order[i - 1], order[i]] = [order[i], order[i - 1]]; command("queue", { lots: order }); }
      } else if (out) command(`lots/${encodeURIComponent(out.dataset.withdraw)}/withdraw`);
    });
    function connect() {  // the board's socket, read-only: state changes refresh the console
      const proto = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(`${proto}://${location.host}/ws/${encodeURIComponent(hall)}?csrf=${encodeURIComponent(csrf)}`);
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (["state", "round", "stopped", "sold", "withdrawn", "closed"].includes(m.t)) { refresh(); presses(); }
      };
      ws.onclose = () => setTimeout(connect, 1000);
    }
    await refresh(); await presses();
    connect();
    setInterval(presses, 2000);
    requestAnimationFrame(tick);
  }

  // ---------------------------------------------------------------- supplier
  async function supplier() {
    const cat = await get("/api/catalogue");
    options("lot-variety", cat.varieties.map((v) => ({ id: v.name, ...v })), (v) => `${v.name} (${v.category})`);
    options("lot-grade", cat.grades.map((g) => ({ id: g })), (g) => g.id);
    options("lot-package", cat.packages.map((p) => ({ id: p.code, ...p })), (p) => `${p.code} · ${p.net_g / 1000} kg`);
    const packages = Object.fromEntries(cat.packages.map((p) => [p.code, p]));
    async function refresh() {
      const mine = await get("/api/supplier/lots");
      $("proceeds").textContent = yuan(mine.proceeds_fen);
      rows("lots", mine.lots, (l) => [esc(l.hall), esc(l.id), esc(l.variety), esc(l.grade), esc(l.package),
        `${l.remaining}/${l.units}`, l.sold, l.withdrawn, esc(T[l.status] || l.status)]);
      rows("sales", mine.sales.slice().reverse(), (x) => [when(x.at_ms), esc(x.lot), esc(x.buyer), esc(x.qty),
        `<span class="num">${yuan(x.price_fen)}/kg</span>`, `<span class="num">${yuan(x.amount_fen)}</span>`,
        `<span class="num">${yuan(x.commission_fen)}</span>`,
        `<a href="/receipts/${encodeURIComponent(x.receipt)}?lang=${lang}" target="_blank">${esc(x.receipt)}</a>`]);
    }
    let pending = null;
    $("register").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target, pkg = packages[f.package.value];
      const start = fen(f.start.value), reserve = fen(f.reserve.value);
      if (start === null || reserve === null) { say(`${T.error}: ${T.price}`, true); return; }
      const body = {
        variety: f.variety.value, grade: f.grade.value, package: f.package.value, unit_net_g: pkg.net_g,
        units: parseInt(f.units.value, 10), min_purchase: parseInt(f.min_purchase.value, 10),
        start_price_fen: start, reserve_price_fen: reserve, origin: f.origin.value,
        category: (cat.varieties.find((v) => v.name === f.variety.value) || {}).category || "",
      };
      if (f.certificate_no.value) body.certificate_no = f.certificate_no.value;
      const sig = JSON.stringify([f.hall.value, body]);
      if (!pending || pending.sig !== sig) pending = { sig, id: requestId(), lot: `${Date.now().toString(36).toUpperCase()}` };
      const done = await post(`/api/supplier/halls/${encodeURIComponent(f.hall.value)}/lots`, { ...body, id: pending.lot }, pending.id);
      if (done) {
        pending = null;
        const testing = done.quality && done.quality.status === "testing";  // held by the testing centre (M8)
        say(`${T.ok}: ${T.lot} ${done.lot.id}` + (testing ? ` · ${T.testing}` : ""));
        await refresh();
      }
    });
    await refresh();
    setInterval(refresh, 5000);
  }

  // ---------------------------------------------------------------- admin
  async function admin() {
    async function refresh() {
      const { users } = await get("/api/admin/users");
      rows("users", users, (u) => {
        const m = u.member, status = u.disabled ? T.disabled : m && m.suspended ? T.suspended : T.active;
        let act = u.role === "admin" ? "" : `<button data-disable="${esc(u.id)}" data-value="${!u.disabled}">${u.disabled ? T.enable : T.disable}</button>`;
        if (m) act += ` <button data-suspend="${esc(u.id)}" data-value="${!m.suspended}">${m.suspended ? T.reinstate : T.suspend}</button>`;
        if (m && u.role === "buyer") act += ` <button data-limit="${esc(u.id)}">${T.set_limit}</button>`;
        return [esc(u.id), esc(u.name), esc(T[u.role] || u.role), m ? `<span class="num">${yuan(m.balance_fen)}</span>` : "",
          m && m.daily_limit_fen !== null ? yuan(m.daily_limit_fen) : "—", status, act];
      });
      const cat = await get("/api/catalogue");
      rows("catalogue", [
        ...cat.varieties.map((v) => [T.variety, esc(v.name), esc(v.category), ""]),
        ...cat.grades.map((g) => [T.grade, esc(g), "", ""]),
        ...cat.packages.map((p) => [T.package, esc(p.code), esc(p.name), p.net_g]),
      ], (x) => x);
      const { halls } = await get("/api/admin/fees");
      rows("fees", halls, (h) => [esc(h.hall), h.seller_commission_bps, h.buyer_fee_bps, h.tick_ms, h.step_fen]);
    }
    $("users").addEventListener("click", async (e) => {
      const s = e.target.closest("[data-suspend]"), d = e.target.closest("[data-disable]");
      const l = e.target.closest("[data-limit]");
      let done = null;
      if (l) {
        const text = window.prompt(T.limit_prompt, "");
        if (text === null) return;  // cancelled
        const limit = text.trim() ? fen(text.trim()) : null;
        if (text.trim() && limit === null) { say(`${T.error}: ${T.daily_limit}`, true); return; }
        done = await post(`/api/admin/members/${encodeURIComponent(l.dataset.limit)}/daily-limit`, { daily_limit_fen: limit });
      } else if (s) done = await post(`/api/admin/members/${encodeURIComponent(s.dataset.suspend)}/suspension`, { suspended: s.dataset.value === "true" });
      else if (d) done = await post(`/api/admin/users/${encodeURIComponent(d.dataset.disable)}/disabled`, { disabled: d.dataset.value === "true" });
      if (done) { say(T.ok); await refresh(); }
    });
    $("add-user").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target, body = { user: f.user.value, name: f.name.value, role: f.role.value, password: f.password.value };
      if (f.limit.value) { const limit = fen(f.limit.value); if (limit === null) { say(`${T.error}: ${T.daily_limit}`, true); return; } body.daily_limit_fen = limit; }
      const done = await post("/api/admin/users", body);
      if (done) { say(`${T.ok}: ${done.user}`); f.reset(); await refresh(); }
    });
    $("add-catalogue").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target, body = { kind: f.kind.value, code: f.code.value, name: f.name.value, category: f.category.value, standard_code: f.standard_code.value };
      if (f.kind.value === "package") body.net_g = parseInt(f.net_g.value, 10);
      const done = await post("/api/admin/catalogue", body);
      if (done) { say(`${T.ok}: ${done.code}`); f.reset(); await refresh(); }
    });
    await refresh();
  }

  const pages = { cashier, auctioneer, supplier, admin };
  window.jiqunStaff = { get, post, say, yuan, fen, rows, options, esc, when, requestId, T, lang };
  if (pages[page]) pages[page]().catch((e) => say(`${T.error}: ${e.message}`, true));
})();
