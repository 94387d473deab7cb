// CicdOps dashboard: live fleet rows over SSE, 15-minute CPU/memory sparklines (uPlot), action results (htmx).
// No build step: plain script, loaded after htmx, its SSE extension and uPlot (all vendored, served by the listener).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Action forms post with htmx (hx-post, hx-confirm); the JSON reply is reported here, and history refreshes.
  document.body.addEventListener("htmx:afterRequest", (e) => {
    const out = document.getElementById("action-result");
    if (!out || !e.detail.elt.closest("form.action")) return;
    let text;
    try {
      const body = JSON.parse(e.detail.xhr.responseText || "{}");
      text = e.detail.successful ? "Done: " + (body.event?.message || "ok") : "Refused: " + (body.error || e.detail.xhr.status);
    } catch { text = "Refused: HTTP " + e.detail.xhr.status; }
    out.textContent = text;
    out.className = e.detail.successful ? "badge s-ok" : "badge s-bad";
    if (e.detail.successful) setTimeout(() => refreshFragment("history"), 300);
  });

  // Parts of a page re-rendered by the server (?fragment=NAME), at most once a second.
  const pending = {};
  function refreshFragment(name) {
    const el = document.querySelector(`[data-fragment="${name}"]`);
    if (!el || pending[name]) return;
    pending[name] = setTimeout(async () => {
      pending[name] = null;
      const url = new URL(location.href);
      url.searchParams.set("fragment", name);
      const r = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (r.ok) { el.innerHTML = await r.text(); drawCharts(); }
    }, 250);
  }

  // Live: every fleet change re-renders the rows (status, commit, last deployment); CPU and memory come in the rows.
  const live = document.querySelector("[data-live-fleet]");
  if (live) {
    const state = document.getElementById("live-state");
    const es = new EventSource("/api/stream/fleet");
    es.onopen = () => { if (state) state.textContent = "live"; };
    es.onerror = () => { if (state) state.textContent = "reconnecting…"; };
    es.addEventListener("fleet", () => { refreshFragment("rows"); refreshFragment("nodes"); });
  }
  const history = document.querySelector('[data-fragment="history"]');
  if (history) {
    const es = new EventSource("/api/stream/fleet?project=" + encodeURIComponent(history.dataset.project));
    es.addEventListener("fleet", () => { refreshFragment("history"); refreshFragment("summary"); });
  }

  // Sparklines: the last 15 minutes from /api/telemetry, redrawn every 5 s.
  let series = {};
  const plots = new Map();
  async function loadTelemetry() {
    try {
      const r = await fetch("/api/telemetry", { credentials: "same-origin" });
      if (r.ok) { series = await r.json(); drawCharts(); }
    } catch { /* next round */ }
  }
  function drawCharts() {
    if (typeof uPlot === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach((el) => {
      const s = series[el.dataset.project];
      const key = el.dataset.project + "/" + el.dataset.chart;
      if (!s || s.t.length === 0) return;
      const data = [s.t, el.dataset.chart === "cpu" ? s.cpu.map((v) => v ?? null) : s.memoryMiB];
      const old = plots.get(key);
      if (old && old.root.isConnected) { old.setData(data); return; }
      el.textContent = "";
      const stroke = getComputedStyle(document.documentElement).getPropertyValue("--info").trim() || "#0b5cad";
      plots.set(key, new uPlot({
        width: el.clientWidth || 130, height: el.clientHeight || 34, legend: { show: false }, cursor: { show: false },
        scales: { x: { time: true } }, axes: [{ show: false }, { show: false }],
        series: [{}, { stroke, width: 1.5, fill: stroke + "33", points: { show: false } }],
      }, data, el));
    });
  }
  if (document.querySelector("[data-chart]")) { loadTelemetry(); setInterval(loadTelemetry, 5000); }

  // Deployment log: scroll to the newest line as lines arrive (htmx's SSE extension appends them).
  document.body.addEventListener("htmx:sseMessage", (e) => {
    const log = e.target.closest?.(".log");
    if (log) log.scrollTop = log.scrollHeight;
  });
  if (csrf) document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": csrf }));
})();
