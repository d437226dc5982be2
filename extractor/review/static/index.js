// The index: every report in one table (sortable, filterable, searchable, paginated) and the agency × year grid.
(function () {
  "use strict";
  var data = window.REVIEW_INDEX, PAGE = 100, GRID_PAGE = 50;
  var col = {}; data.columns.forEach(function (c, i) { col[c] = i; });
  var state = { q: "", verdict: "", year: "", hideFailed: false, sort: "agency", dir: 1, page: 0, gridPage: 0 };
  var $ = function (id) { return document.getElementById(id); };

  function norm(s) { return (s || "").normalize("NFKC").replace(/\s+/g, "").toLowerCase(); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // what the search compares, normalised once rather than on every keystroke
  data.rows.forEach(function (row) { row.push(norm(row[col.agency]) + "\u0000" + norm(row[col.source])); });
  var searchable = data.columns.length;
  data.grid.forEach(function (g) { g.push(norm(g[1])); });
  function matches(row) {
    if (state.q && row[searchable].indexOf(state.q) < 0) return false;
    if (state.verdict && row[col.verdict] !== state.verdict) return false;
    if (state.year && String(row[col.year]) !== state.year) return false;
    if (state.hideFailed && row[col.verdict] === "failed") return false;
    return true;
  }
  function pager(nav, page, pages, go) {
    nav.textContent = "";
    if (pages <= 1) return;
    var prev = el("button", { type: "button" }, "‹ previous"); prev.disabled = page === 0;
    prev.onclick = function () { go(page - 1); };
    var next = el("button", { type: "button" }, "next ›"); next.disabled = page >= pages - 1;
    next.onclick = function () { go(page + 1); };
    nav.append(prev, el("span", {}, " page " + (page + 1) + " of " + pages + " "), next);
  }
  function renderTable() {
    var rows = data.rows.filter(matches), k = col[state.sort], dir = state.dir;
    rows.sort(function (a, b) {
      var x = a[k], y = b[k];
      if (x === y) return 0;
      if (x === null || x === "") return 1;
      if (y === null || y === "") return -1;
      return (x < y ? -1 : 1) * dir;
    });
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var body = document.querySelector("#reports tbody"), frag = document.createDocumentFragment();
    rows.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (r) {
      var tr = el("tr"), a = el("a", { href: "r/" + r[col.id] + ".html" }, r[col.agency] || "(no name)");
      var name = el("td"); name.append(a);
      var verdict = el("td"); verdict.append(el("span", { "class": "verdict v-" + r[col.verdict] }, r[col.verdict]));
      tr.append(name, el("td", {}, r[col.year] || ""), el("td", {}, r[col.template]), verdict,
        el("td", { "class": "num" }, r[col.problems]), el("td", { "class": "num" + (r[col.source_errors] ? " bad" : "") }, r[col.source_errors]),
        el("td", { "class": "num" + (r[col.cross] ? " bad" : "") }, r[col.cross]), el("td", { "class": "muted" }, r[col.source]));
      frag.append(tr);
    });
    body.textContent = ""; body.append(frag);
    $("shown").textContent = rows.length + " of " + data.rows.length + " reports";
    pager($("pager"), state.page, pages, function (p) { state.page = p; renderTable(); });
    document.querySelectorAll("#reports th[data-sort]").forEach(function (th) {
      th.className = th.dataset.sort === state.sort ? (state.dir > 0 ? "asc" : "desc") : "";
    });
  }
  function renderGrid() {
    var years = data.years.filter(function (y) { return !state.year || String(y) === state.year; });
    var agencies = data.grid.filter(function (g) { return !state.q || g[4].indexOf(state.q) >= 0; });
    var head = el("tr"); head.append(el("th", { "class": "name" }, "agency (" + agencies.length + ")"));
    years.forEach(function (y) { head.append(el("th", {}, y)); });
    var thead = document.querySelector("#grid thead"); thead.textContent = ""; thead.append(head);
    var pages = Math.max(1, Math.ceil(agencies.length / GRID_PAGE));
    state.gridPage = Math.min(state.gridPage, pages - 1);
    var body = document.querySelector("#grid tbody"), frag = document.createDocumentFragment();
    agencies.slice(state.gridPage * GRID_PAGE, (state.gridPage + 1) * GRID_PAGE).forEach(function (g) {
      var tr = el("tr"), th = el("th", { "class": "name" }), a = el("a", { href: "a/" + g[0] + ".html" }, g[1]);
      th.append(a, el("span", { "class": "muted" }, g[2] === "aggregate" ? " (whole area)" : ""));
      tr.append(th);
      years.forEach(function (y) {
        var reports = g[3][y];
        if (!reports) { tr.append(el("td", { "class": "missing", title: y + ": no report in this batch" }, "·")); return; }
        var td = el("td");
        reports.forEach(function (r) {
          td.append(el("a", { href: "r/" + r[0] + ".html", "class": "verdict v-" + r[1], title: y + ": " + r[1] }, "■"));
        });
        tr.append(td);
      });
      frag.append(tr);
    });
    body.textContent = ""; body.append(frag);
    pager($("grid-pager"), state.gridPage, pages, function (p) { state.gridPage = p; renderGrid(); });
  }
  function update() { state.page = 0; state.gridPage = 0; renderTable(); renderGrid(); }

  $("q").addEventListener("input", function (e) { state.q = norm(e.target.value); update(); });
  $("verdict").addEventListener("change", function (e) { state.verdict = e.target.value; update(); });
  $("year").addEventListener("change", function (e) { state.year = e.target.value; update(); });
  $("hide-failed").addEventListener("change", function (e) { state.hideFailed = e.target.checked; update(); });
  document.querySelectorAll("button[data-verdict]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.verdict = state.verdict === b.dataset.verdict ? "" : b.dataset.verdict;
      $("verdict").value = state.verdict;
      document.querySelectorAll("button[data-verdict]").forEach(function (o) { o.classList.toggle("on", o.dataset.verdict === state.verdict); });
      update();
    });
  });
  document.querySelectorAll("#reports th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      state.dir = state.sort === th.dataset.sort ? -state.dir : 1;
      state.sort = th.dataset.sort; renderTable();
    });
  });
  update();
})();
