// A person's corrections on the review site: kept in this browser (localStorage) under the input's content
// hash, downloaded as corrections.jsonl (docs/corrections.md) for a report, an agency or the whole site.
// Every page loads this file; buttons with data-corrections="SHA SHA …" (or "site") download those inputs'.
(function () {
  "use strict";
  var PREFIX = "nianbao.corrections:";
  var DEF = window.NIANBAO_IDENTITIES || { decimal_keys: [], signed_keys: [] };
  var decimal = {}, signed = {};
  DEF.decimal_keys.forEach(function (k) { decimal[k] = true; });
  DEF.signed_keys.forEach(function (k) { signed[k] = true; });

  function empty() { return { cells: {}, marks: {}, note: "" }; }
  function load(sha) {
    try {
      var entry = JSON.parse(localStorage.getItem(PREFIX + sha) || "null");
      return entry && entry.cells ? entry : empty();
    } catch (e) { return empty(); }
  }
  function save(sha, entry) {
    var used = Object.keys(entry.cells).length || Object.keys(entry.marks).length || entry.note;
    try {
      if (used) localStorage.setItem(PREFIX + sha, JSON.stringify(entry));
      else localStorage.removeItem(PREFIX + sha);
      return true;
    } catch (e) { return false; }  // storage off (a private window, a full quota): the page still checks
  }
  function stored() {
    var shas = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var name = localStorage.key(i);
        if (name.indexOf(PREFIX) === 0) shas.push(name.slice(PREFIX.length));
      }
    } catch (e) { /* no storage: nothing stored */ }
    return shas.sort();
  }
  // What the text typed in a cell stands for, typed like the record's values: {ok, value}. Empty is null.
  function typed(key, text) {
    var t = String(text).trim();
    if (t === "") return { ok: true, value: null };
    if (decimal[key]) return /^\d+(\.\d+)?$/.test(t) ? { ok: true, value: t } : { ok: false };
    if (signed[key]) return /^[+-]?\d+$/.test(t) ? { ok: true, value: parseInt(t, 10) } : { ok: false };
    return /^\d+$/.test(t) ? { ok: true, value: parseInt(t, 10) } : { ok: false };
  }
  // One corrections.jsonl line for an input (null when nothing in it can be applied): the cells typed or
  // confirmed and valid, `null` where marked not on the page; a cell marked undetermined is left to the machine.
  function line(sha, entry) {
    var cells = {}, n = 0;
    Object.keys(entry.cells).sort().forEach(function (key) {
      if (entry.marks[key] === "undetermined") return;
      var t = entry.marks[key] === "not_on_page" ? { ok: true, value: null } : typed(key, entry.cells[key]);
      if (t.ok) { cells[key] = t.value; n++; }
    });
    if (!n) return null;
    return JSON.stringify({ input_sha256: sha, cells: cells, note: entry.note || "" });
  }
  function lines(shas) {
    return shas.map(function (sha) { return line(sha, load(sha)); }).filter(Boolean);
  }
  function download(name, text, type) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: type || "application/x-ndjson" }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }
  function downloadLines(shas) {
    var out = lines(shas);
    if (out.length) download("corrections.jsonl", out.join("\n") + "\n");
    return out.length;
  }
  window.nianbaoCorrections = {
    load: load, save: save, stored: stored, typed: typed, line: line, download: download, downloadLines: downloadLines,
  };

  document.querySelectorAll("[data-corrections]").forEach(function (button) {
    var shas = function () {
      var want = button.dataset.corrections;
      if (want !== "site") return want.split(" ").filter(Boolean);
      var index = window.REVIEW_INDEX, col = index.columns.indexOf("sha256"), mine = {};
      index.rows.forEach(function (row) { mine[row[col]] = true; });
      return stored().filter(function (sha) { return mine[sha]; });
    };
    var count = document.getElementById(button.dataset.count || "");
    if (count) count.textContent = lines(shas()).length;
    button.addEventListener("click", function () { downloadLines(shas()); });
  });
})();
