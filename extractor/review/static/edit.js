// A report page's corrections: type or confirm any cell beside its source span; every identity is re-checked
// as the person types, from the same definition the Python checker reads (static/identities.js, written from
// schemas/identities.py). The Python checker stays the authority: `nianbao extract --corrections` decides.
(function () {
  "use strict";
  var C = window.nianbaoCorrections, DEF = window.NIANBAO_IDENTITIES;
  var data = JSON.parse(document.getElementById("record-data").textContent);
  var sha = data.sha256, entry = C.load(sha);
  var inputs = {};
  document.querySelectorAll("td.c input.v").forEach(function (inp) { inputs[inp.name] = inp; });
  var keys = Object.keys(inputs);
  var $ = function (id) { return document.getElementById(id); };

  function machine(key) { return C.typed(key, inputs[key].defaultValue).value; }
  // The value a cell has now: the person's where typed (undefined while it is not a valid value), else the record's.
  function current(key) {
    if (entry.marks[key] === "not_on_page") return null;
    if (!(key in entry.cells)) return machine(key);
    var t = C.typed(key, entry.cells[key]);
    return t.ok ? t.value : undefined;
  }
  function values() {
    var v = {};
    keys.forEach(function (k) { v[k] = current(k); });
    return v;
  }
  function shapeOf(v) {
    var some = DEF.other_total_keys.some(function (k) { return v[k] !== null && v[k] !== undefined; });
    var none = DEF.other_sub_keys.every(function (k) { return v[k] === null || v[k] === undefined; });
    return some && none ? "gov2019" : "gov2021";
  }
  function sum(ks, v) { return ks.reduce(function (s, k) { return s + v[k]; }, 0); }
  // Every hard identity on the values as they are now: [{id, status, lhs, rhs, cells}], in the checker's order.
  function check() {
    var v = values();
    return DEF.table3[shapeOf(v)].concat(DEF.table4).map(function (i) {
      var cells = i.lhs.concat(i.rhs);
      var open = cells.some(function (k) { return v[k] === null || v[k] === undefined || typeof v[k] !== "number"; });
      if (open) return { id: i.id, status: "uncheckable", cells: cells };
      var lhs = sum(i.lhs, v), rhs = sum(i.rhs, v);
      return { id: i.id, status: lhs === rhs ? "pass" : "fail", lhs: lhs, rhs: rhs, cells: cells };
    });
  }
  window.nianbaoReview = { check: check, values: values };

  function state(key) {
    if (entry.marks[key]) return "p-mark";
    if (!(key in entry.cells)) return "";
    var t = C.typed(key, entry.cells[key]);
    if (!t.ok) return "p-bad";
    return String(t.value === null ? "" : t.value) === String(inputs[key].defaultValue.trim()) ? "p-ok" : "p-edit";
  }
  function render() {
    var results = check(), counts = { pass: 0, fail: 0, uncheckable: 0 }, failing = {};
    var list = $("live");
    list.textContent = "";
    results.forEach(function (r) {
      counts[r.status]++;
      var was = data.checks[r.id] || "pass";
      if (r.status === "fail") r.cells.forEach(function (k) { failing[k] = true; });
      if (r.status === "pass" && was === "pass") return;
      var li = document.createElement("li");
      li.className = "check x-" + r.status;
      li.dataset.id = r.id;
      li.dataset.cells = r.cells.join(" ");
      li.tabIndex = 0;
      var b = document.createElement("b");
      b.textContent = r.id;
      li.appendChild(b);
      var sums = r.status === "uncheckable" ? " (a cell is blank, unread or not a number)"
        : " " + r.lhs + (r.status === "pass" ? " = " : " ≠ ") + r.rhs;
      li.appendChild(document.createTextNode(" " + r.status + sums + (was !== r.status ? " — in the record: " + was : "")));
      list.appendChild(li);
    });
    $("live-summary").textContent = results.length + " identities now: " + counts.pass + " pass · " + counts.fail +
      " fail · " + counts.uncheckable + " cannot be computed";
    var tally = { "p-edit": 0, "p-ok": 0, "p-bad": 0, "p-mark": 0 };
    keys.forEach(function (k) {
      var td = inputs[k].parentNode, s = state(k);
      td.classList.remove("p-edit", "p-ok", "p-bad", "p-mark", "now-fail");
      if (s) { td.classList.add(s); tally[s]++; }
      if (failing[k]) td.classList.add("now-fail");
    });
    $("tally").textContent = tally["p-edit"] + " corrected · " + tally["p-ok"] + " confirmed · " + tally["p-mark"] +
      " marked · " + tally["p-bad"] + " not a valid value";
    if (!C.save(sha, entry)) $("tally").textContent += " (this browser keeps no edits: download them before leaving)";
    showEditor();
  }

  // The editor beside the source text: the selected cell, what was read there, and what a person can say of it.
  var selected = null;
  function showEditor() {
    var box = $("editor");
    if (!selected) { box.hidden = true; return; }
    box.hidden = false;
    var td = inputs[selected].parentNode;
    $("ed-key").textContent = selected;
    $("ed-read").textContent = td.title || "nothing read here";
    var mark = entry.marks[selected];
    $("ed-state").textContent = mark ? "marked " + mark.replace(/_/g, " ") : { "p-edit": "corrected", "p-ok": "confirmed",
      "p-bad": "not a valid value", "": "as read" }[state(selected)];
    $("ed-confirm").disabled = inputs[selected].defaultValue.trim() === "";
    var readings = $("ed-candidates"), candidates = (td.dataset.candidates || "").split(" ").filter(Boolean);
    readings.hidden = !candidates.length;
    readings.querySelectorAll("button").forEach(function (b) { b.remove(); });
    candidates.forEach(function (c) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = c;
      b.addEventListener("click", function () { delete entry.marks[selected]; set(selected, c); });
      readings.appendChild(b);
    });
  }
  function select(key) { selected = key; showEditor(); }
  function set(key, text) {
    if (text === undefined) { delete entry.cells[key]; delete entry.marks[key]; }
    else entry.cells[key] = text;
    inputs[key].value = key in entry.cells ? entry.cells[key] : inputs[key].defaultValue;
    render();
  }
  keys.forEach(function (key) {
    var inp = inputs[key];
    if (key in entry.cells) inp.value = entry.cells[key];
    inp.addEventListener("input", function () {
      delete entry.marks[key];
      entry.cells[key] = inp.value;
      render();
    });
    inp.addEventListener("focus", function () { select(key); });
    inp.parentNode.addEventListener("click", function () { select(key); });
  });
  $("ed-confirm").addEventListener("click", function () { delete entry.marks[selected]; set(selected, inputs[selected].defaultValue.trim()); });
  $("ed-blank").addEventListener("click", function () { delete entry.marks[selected]; set(selected, ""); });
  $("ed-undetermined").addEventListener("click", function () {
    entry.marks[selected] = "undetermined";
    render();
  });
  $("ed-absent").addEventListener("click", function () { entry.marks[selected] = "not_on_page"; set(selected, ""); });
  $("ed-revert").addEventListener("click", function () { set(selected, undefined); });
  $("note").value = entry.note || "";
  $("note").addEventListener("input", function () { entry.note = $("note").value; C.save(sha, entry); });
  $("download").addEventListener("click", function () {
    var line = C.line(sha, entry);
    if (line) C.download("corrections.jsonl", line + "\n");
    else $("tally").textContent += " — nothing to download yet";
  });
  $("clear").addEventListener("click", function () {
    entry = { cells: {}, marks: {}, note: "" };
    keys.forEach(function (k) { inputs[k].value = inputs[k].defaultValue; });
    $("note").value = "";
    render();
  });
  // Gold in eval/gold-format.md's shape: the person's values where given, the record's elsewhere.
  $("gold").addEventListener("click", function () {
    var v = values(), cells = {}, undetermined = [], absent = [], bad = [];
    keys.forEach(function (k) {
      if (v[k] === undefined) bad.push(k);
      cells[k] = v[k] === undefined ? machine(k) : v[k];
      if (entry.marks[k] === "undetermined") {
        if (cells[k] === null) bad.push(k);  // the gold needs the labeller's best reading there
        else undetermined.push(k);
      }
      if (entry.marks[k] === "not_on_page") absent.push(k);
    });
    if (bad.length) {
      $("tally").textContent = "no gold yet: give " + bad[0] + " a valid value (an undetermined cell needs your best reading)";
      return;
    }
    var person = keys.filter(function (k) { return k in entry.cells || entry.marks[k]; }).length;
    var gold = {
      input: data.input,
      template: data.template,
      meta: { agency_name: data.agency_name, report_year: data.report_year },
      cells: cells,
      source_errors: check().filter(function (r) { return r.status === "fail"; }).map(function (r) { return r.id; }),
      notes: "Labelled on the nianbao review page: " + person + " cells typed, confirmed or marked by a person, " +
        (keys.length - person) + " as nianbao read them (" + data.unverified + " of the record's values it did not " +
        "stand behind). " + (entry.note || ""),
    };
    if (undetermined.length) gold.undetermined = undetermined;
    if (absent.length) gold.not_on_page = absent;
    C.download(data.input.replace(/\.[^.]*$/, "") + ".gold.json", JSON.stringify(gold, null, 1) + "\n", "application/json");
  });
  // A reading a neighbouring year suggests (a row of its table): a click types it into its cells.
  document.querySelectorAll("tr.reading").forEach(function (tr) {
    tr.addEventListener("click", function () {
      var values = tr.dataset.values.split(" ");
      tr.dataset.keys.split(" ").forEach(function (k, i) {
        if (!inputs[k]) return;
        delete entry.marks[k];
        entry.cells[k] = values[i];
        inputs[k].value = values[i];
      });
      render();
    });
  });
    $("live").addEventListener("click", function (e) {
    var li = e.target.closest("li[data-cells]");
    if (!li) return;
    document.querySelectorAll("td.c.lit").forEach(function (td) { td.classList.remove("lit"); });
    li.dataset.cells.split(" ").forEach(function (k) { if (inputs[k]) inputs[k].parentNode.classList.add("lit"); });
  });
  render();
})();
