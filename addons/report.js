"use strict";
// The stegwatch report. Log data is untrusted: it is read from a JSON block and written with
// textContent only; no innerHTML, no string-built markup.
(function () {
  const data = JSON.parse(document.getElementById("stegwatch-data").textContent);
  const S = data.strings;
  const SEVERITIES = data.severities; // info, low, medium, high (rank = index)
  const REVEALED = /\u27e6(U\+[0-9A-F]{4,6})\u27e7/g;
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Text with ⟦U+XXXX⟧ turned into spans titled with the character's name.
  function revealed(parent, text) {
    let last = 0;
    REVEALED.lastIndex = 0;
    let m;
    while ((m = REVEALED.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const name = data.names[m[1]] || "";
      parent.appendChild(el("span", { class: "cp", title: m[1] + " " + name }, m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  function renderTotals() {
    const t = data.totals;
    const box = document.getElementById("totals");
    const items = [["requests", t.records], ["findings", t.findings], ["alarms (medium+)", t.alarms],
      ["distinct findings", t.distinct], ["skipped", t.skipped]];
    if (t.badLines) items.push(["unreadable log lines", t.badLines]);
    for (const [label, value] of items) {
      const div = el("div", { class: "total", "data-total": label });
      div.appendChild(el("b", null, value.toLocaleString("en")));
      div.appendChild(document.createTextNode(label));
      box.appendChild(div);
    }
  }

  function summaryTable(title, headers, rows, id) {
    const wrap = el("div", { id: "summary-" + id });
    wrap.appendChild(el("h3", null, title));
    const table = el("table");
    const tr = el("tr");
    for (const h of headers) tr.appendChild(el("th", null, h));
    table.appendChild(el("thead")).appendChild(tr);
    const body = el("tbody");
    const limit = 50;
    rows.slice(0, limit).forEach(function (row) {
      const r = el("tr");
      row.forEach(function (cell, i) {
        const td = el("td", i === 0 ? { class: "mono" } : { class: "num" });
        if (id === "severity" && i === 0) td.className = "sev sev-" + cell;
        if (id === "kind" && i === 2) { td.className = "sev sev-" + SEVERITIES[cell]; td.textContent = SEVERITIES[cell]; }
        else td.textContent = typeof cell === "number" ? cell.toLocaleString("en") : cell;
        r.appendChild(td);
      });
      body.appendChild(r);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    if (rows.length > limit) wrap.appendChild(el("p", { class: "note" }, (rows.length - limit) + " more not shown"));
    return wrap;
  }

  function renderSummary() {
    const box = document.getElementById("summary");
    const s = data.summary;
    const cols = ["requests", "findings", "alarms"];
    box.appendChild(summaryTable("By severity", ["severity", "findings"], s.severity, "severity"));
    box.appendChild(summaryTable("By kind", ["detector/kind", "findings", "worst"], s.kind, "kind"));
    box.appendChild(summaryTable("By client", ["client"].concat(cols), s.client, "client"));
    box.appendChild(summaryTable("By host", ["host"].concat(cols), s.host, "host"));
    box.appendChild(summaryTable("By API", ["API"].concat(cols), s.api, "api"));
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }

  function renderTimeline() {
    const box = document.getElementById("timeline");
    const tl = data.timeline;
    if (!tl.buckets.length) { box.appendChild(el("p", { class: "note" }, "No records.")); return; }
    const width = 900, height = 160, pad = 28;
    const barWidth = (width - pad) / tl.buckets.length;
    const max = Math.max(1, ...tl.buckets.map(function (b) { return Math.max(b[0], b[1] + b[2] + b[3] + b[4]); }));
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + (height + 20), width: "100%", role: "img", "aria-label": "requests and findings over time" });
    tl.buckets.forEach(function (b, i) {
      const x = pad + i * barWidth;
      const h = (b[0] / max) * height;
      const bar = svg("rect", { x: x + 1, y: height - h, width: Math.max(1, barWidth / 2 - 1), height: h, class: "bar-requests" });
      bar.appendChild(svg("title", {})).textContent = b[0] + " requests";
      chart.appendChild(bar);
      let y = height;
      for (let rank = 0; rank < 4; rank++) {
        const n = b[1 + rank];
        if (!n) continue;
        const fh = (n / max) * height;
        y -= fh;
        const seg = svg("rect", { x: x + barWidth / 2, y: y, width: Math.max(1, barWidth / 2 - 1), height: fh, class: "bar-" + SEVERITIES[rank] });
        seg.appendChild(svg("title", {})).textContent = n + " " + SEVERITIES[rank] + " findings";
        chart.appendChild(seg);
      }
    });
    const start = new Date(tl.start);
    const end = new Date(start.getTime() + tl.buckets.length * tl.bucketSeconds * 1000);
    chart.appendChild(svg("text", { x: pad, y: height + 14 })).textContent = start.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    chart.appendChild(svg("text", { x: width - 150, y: height + 14 })).textContent = end.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    chart.appendChild(svg("text", { x: 0, y: 10 })).textContent = String(max);
    box.appendChild(chart);
    const legend = el("p", { class: "legend note" });
    [["requests", "bar-requests"]].concat(SEVERITIES.map(function (s) { return [s + " findings", "bar-" + s]; })).forEach(function (pair) {
      const item = el("span");
      const sw = svg("svg", { width: 10, height: 10, class: "swatch" });
      sw.appendChild(svg("rect", { width: 10, height: 10, class: pair[1] }));
      item.appendChild(sw);
      item.appendChild(document.createTextNode(pair[0]));
      legend.appendChild(item);
    });
    legend.appendChild(document.createTextNode("one bar per " + (tl.bucketSeconds >= 86400 ? tl.bucketSeconds / 86400 + " d" : tl.bucketSeconds >= 3600 ? tl.bucketSeconds / 3600 + " h" : tl.bucketSeconds / 60 + " min")));
    box.appendChild(legend);
  }

  function renderProbe() {
    if (!data.probe) return;
    document.getElementById("probe-section").hidden = false;
    const body = document.querySelector("#probe tbody");
    for (const d of data.probe) {
      const tr = el("tr", { class: "probe-row probe-" + d.classification });
      tr.appendChild(el("td", { class: "mono" }, d.variable));
      tr.appendChild(el("td", { class: d.classification === "unexplained" ? "unexplained" : "explained" }, d.classification));
      tr.appendChild(el("td", { class: "path" }, d.path));
      for (const side of [d.reference, d.variant]) {
        const td = el("td", { class: "context" });
        for (const [text, differs] of side) {
          revealed(differs ? td.appendChild(el("mark", { class: "diff" })) : td, text);
        }
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  // --- findings: filter and pages -------------------------------------------------------
  const state = { severities: new Set(SEVERITIES), kind: "", page: 0, matching: [] };

  function setupFilters() {
    const fs = document.getElementById("severity-filter");
    SEVERITIES.slice().reverse().forEach(function (s) {
      const label = el("label", { class: "sev-" + s });
      const box = el("input", { type: "checkbox", value: s, id: "sev-" + s });
      box.checked = true;
      box.addEventListener("change", function () {
        if (box.checked) state.severities.add(s); else state.severities.delete(s);
        state.page = 0; applyFilter();
      });
      label.appendChild(box);
      label.appendChild(el("span", { class: "sev" }, " " + s));
      fs.appendChild(label);
    });
    document.getElementById("filters").addEventListener("submit", function (event) { event.preventDefault(); });
    const select = document.getElementById("kind-filter");
    for (const row of data.summary.kind) select.appendChild(el("option", { value: row[0] }, row[0] + " (" + row[1] + ")"));
    select.addEventListener("change", function () { state.kind = select.value; state.page = 0; applyFilter(); });
    document.getElementById("prev").addEventListener("click", function () { if (state.page > 0) { state.page--; renderPage(); } });
    document.getElementById("next").addEventListener("click", function () {
      if ((state.page + 1) * data.pageSize < state.matching.length) { state.page++; renderPage(); }
    });
    const t = data.totals;
    if (t.shown < t.distinct) {
      const note = document.getElementById("truncated");
      note.hidden = false;
      note.textContent = "Showing the " + t.shown.toLocaleString("en") + " worst of " + t.distinct.toLocaleString("en") +
        " distinct findings; the log holds them all.";
    }
  }

  function applyFilter() {
    const matching = [];
    const rows = data.findings;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!state.severities.has(SEVERITIES[r[0]])) continue;
      if (state.kind && S[r[1]] !== state.kind) continue;
      matching.push(i);
    }
    state.matching = matching;
    document.getElementById("match-count").textContent = matching.length.toLocaleString("en") + " matching findings";
    renderPage();
  }

  function renderPage() {
    const body = document.querySelector("#findings tbody");
    const fresh = el("tbody");
    const size = data.pageSize;
    const pages = Math.max(1, Math.ceil(state.matching.length / size));
    const slice = state.matching.slice(state.page * size, (state.page + 1) * size);
    for (const index of slice) {
      const r = data.findings[index];
      const severity = SEVERITIES[r[0]];
      const tr = el("tr", { class: "finding sev-" + severity, "data-severity": severity, "data-kind": S[r[1]] });
      tr.appendChild(el("td", { class: "sev" }, severity));
      tr.appendChild(el("td", { class: "mono" }, S[r[1]]));
      tr.appendChild(el("td", null, S[r[2]]));
      tr.appendChild(el("td", { class: "path" }, S[r[3]]));
      const cps = el("td", { class: "cps" });
      const list = S[r[4]] ? S[r[4]].split(" ") : [];
      list.forEach(function (cp, i) {
        if (i) cps.appendChild(document.createTextNode("\n"));
        cps.appendChild(el("span", { class: "cp", title: data.names[cp] || "" }, cp));
        cps.appendChild(document.createTextNode(" " + (data.names[cp] || "")));
      });
      tr.appendChild(cps);
      tr.appendChild(revealed(el("td", { class: "context" }), S[r[6]]));
      tr.appendChild(el("td", null, S[r[5]]));
      tr.appendChild(el("td", { class: "num", title: "first " + r[8] + ", last " + r[9] }, r[7] === 1 ? "once, " + r[8] : r[7] + "×, first " + r[8]));
      tr.appendChild(el("td", { class: "mono" }, S[r[10]] + "\n" + S[r[11]] + "\n" + S[r[12]]));
      fresh.appendChild(tr);
    }
    body.replaceWith(fresh);
    document.getElementById("page-info").textContent = "page " + (state.page + 1) + " of " + pages;
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page + 1 >= pages;
  }

  renderTotals();
  renderSummary();
  renderTimeline();
  renderProbe();
  setupFilters();
  applyFilter();
  document.body.setAttribute("data-ready", "true");
})();
