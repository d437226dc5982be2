// A report page: select a cell → its span lights up in the source and scrolls into view; select a span,
// an identity or a suggestion → its cells light up and the first scrolls into view.
(function () {
  "use strict";
  // Cells are td#cell-<key> with data-n, their number; a mark's data-n lists the cells read from it.
  var marks = Array.prototype.slice.call(document.querySelectorAll("#text mark"));
  var selected = document.getElementById("selected");
  var cells = {};
  document.querySelectorAll("td.c").forEach(function (td) { cells[td.dataset.n] = td; });

  function clear() {
    document.querySelectorAll(".sel, .lit").forEach(function (e) { e.classList.remove("sel", "lit"); });
  }
  function keyOf(td) { return td.id.slice("cell-".length); }
  function cell(key) { return document.getElementById("cell-" + key); }
  function marksOf(key) {
    var td = cell(key);
    if (!td) return [];
    return marks.filter(function (m) { return m.dataset.n.split(" ").indexOf(td.dataset.n) >= 0; });
  }
  function selectCell(td) {
    clear();
    td.classList.add("sel");
    var found = marksOf(keyOf(td));
    found.forEach(function (m) { m.classList.add("sel"); });
    if (selected) selected.textContent = keyOf(td) + (found.length ? "" : " — not read from the text");
    if (found.length) found[0].scrollIntoView({ block: "center" });
  }
  function lightCells(keys, origin) {
    clear();
    if (origin) origin.classList.add("sel");
    var first = null;
    keys.forEach(function (k) {
      var td = cell(k);
      if (td) { td.classList.add("lit"); first = first || td; }
      marksOf(k).forEach(function (m) { m.classList.add("lit"); });
    });
    if (selected) selected.textContent = keys.length + " cells";
    return first;
  }
  document.querySelectorAll("td.c").forEach(function (td) {
    td.addEventListener("click", function () { selectCell(td); });
    td.addEventListener("keydown", function (e) { if (e.key === "Enter") selectCell(td); });
  });
  marks.forEach(function (m) {
    m.addEventListener("click", function () {
      var keys = m.dataset.n.split(" ").map(function (n) { return cells[n] ? keyOf(cells[n]) : ""; });
      var first = lightCells(keys.filter(Boolean), m);
      if (first) first.scrollIntoView({ block: "center" });
    });
  });
  document.querySelectorAll("[data-cells]").forEach(function (item) {
    var go = function (e) {
      if (e.target.tagName === "A") return;
      var first = lightCells(item.dataset.cells.split(" ").filter(Boolean), item);
      if (first) first.scrollIntoView({ block: "nearest" });
    };
    item.addEventListener("click", go);
    item.addEventListener("keydown", function (e) { if (e.key === "Enter") go(e); });
  });
  var text = document.getElementById("text");
  if (text && marks.length) text.scrollTop = marks[0].offsetTop - text.offsetTop - 60;  // past the page chrome
  if (location.hash.indexOf("#cell-") === 0) {
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) selectCell(target);
  }
})();
