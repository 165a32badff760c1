/* Majlis facilitator console (after live.js): the moderation queue and the items, kept live from the moderation
   board (GET /api/v1/sessions/<code>/moderation, a JSON read, asked at most every 1.5 s however many states
   arrive), and every action through the staff API, updated in place. Without this script the page's plain forms
   do the same with a reload. Strings come from the page (console-labels). */
(function () {
  "use strict";
  var live = window.MajlisLive;
  if (!live) return;
  var $ = live.$, el = live.el, call = live.call, fmt = live.fmt, L = live.labels;
  var section = $("moderation");
  var labelsEl = $("console-labels"), boardEl = $("console-board");
  if (!section || !labelsEl || !boardEl) return;
  var C = JSON.parse(labelsEl.textContent);
  var board = JSON.parse(boardEl.textContent);
  var selected = {};      // item id -> true
  var cursor = null;      // the item id the keyboard is on
  var lastMerge = null;   // the last merge made from this page, for "u" and the notice
  var editing = null;     // the item id whose text is being corrected
  var renderLater = false;

  // Messages show at the bottom of the window (console.css), wherever the facilitator is in the queue, for a while.
  var sayTimer = null;
  function say(message, isError) {
    live.say(message, isError);
    clearTimeout(sayTimer);
    sayTimer = setTimeout(function () { live.say(""); }, isError ? 15000 : 8000);
  }
  var noticeTimer = null;

  // --- reading the board: debounced, one request at a time ---------------------------------------------------
  var QUIET = 400, LONGEST = 1500;
  var timer = null, firstChange = 0, loading = false, again = false;
  function schedule(now) {
    var t = Date.now();
    if (!firstChange) firstChange = t;
    clearTimeout(timer);
    timer = setTimeout(load, now ? 0 : Math.max(0, Math.min(QUIET, firstChange + LONGEST - t)));
  }
  function load() {
    timer = null;
    if (loading) { again = true; return; }
    firstChange = 0;
    loading = true;
    call("GET", "/moderation").then(function (fresh) {
      if (fresh.version >= board.version) { board = fresh; render(); }
    }, function () { /* the next state retries */ }).then(function () {
      loading = false;
      if (again) { again = false; schedule(true); }
    });
  }

  // --- drawing -------------------------------------------------------------------------------------------------
  function button(text, act, cls) {
    var b = el("button", "button " + (cls || "button-secondary"), text);
    b.type = "button";
    b.dataset.act = act;
    return b;
  }
  function itemNo(id) {
    var n = el("span", "muted item-no", "#" + id);
    n.dir = "ltr";
    return n;
  }
  function textCell(it) {
    var wrap = el("span", "item-text-wrap");
    if (editing === it.id) {
      var area = el("textarea", "edit-area");
      area.value = it.text;
      area.maxLength = 500;
      area.rows = 2;
      area.setAttribute("aria-label", C.edit);
      wrap.appendChild(area);
      var row = el("span", "edit-buttons");
      row.appendChild(button(C.save, "save", "button"));
      row.appendChild(button(C.cancel, "cancel-edit"));
      wrap.appendChild(row);
      return wrap;
    }
    wrap.appendChild(el("span", "item-text", it.text, true));
    wrap.appendChild(document.createTextNode(" "));
    wrap.appendChild(itemNo(it.id));
    return wrap;
  }
  function byId(id) {
    for (var i = 0; i < board.items.length; i++) if (board.items[i].id === id) return board.items[i];
    return null;
  }
  function pendingItems() { return board.items.filter(function (it) { return it.status === "pending"; }); }

  function renderQueue() {
    var list = $("queue");
    var pending = pendingItems();
    list.textContent = "";
    $("pending-count").textContent = pending.length;
    if (!pending.length) list.appendChild(el("li", "muted", C.nothingWaiting));
    pending.forEach(function (it) {
      var row = el("li", "queue-item mod-row");
      row.id = "item-" + it.id;
      row.dataset.id = it.id;
      row.tabIndex = -1;
      var box = el("input", "pick");
      box.type = "checkbox";
      box.checked = !!selected[it.id];
      box.dataset.id = it.id;
      box.setAttribute("aria-label", C.select + ": " + it.text.slice(0, 40));
      row.appendChild(box);
      var body = el("div", "queue-body");
      var line = el("p", "queue-text");
      line.appendChild(el("span", "badge", C.kind[it.kind]));
      line.appendChild(document.createTextNode(" "));
      line.appendChild(textCell(it));
      body.appendChild(line);
      if (it.flags.length) {
        var flags = el("p", "flags", "⚠ " + C.automatic + " ");
        it.flags.forEach(function (f) { flags.appendChild(el("span", "badge badge-warning", C.flags[f] || f)); });
        body.appendChild(flags);
      }
      if (it.suggestions.length) {
        var best = it.suggestions[0];
        var hint = el("p", "suggest");
        hint.appendChild(el("span", "muted", C.likely + " "));
        hint.appendChild(el("span", "suggest-text", best.text, true));
        hint.appendChild(document.createTextNode(" "));
        hint.appendChild(itemNo(best.id));
        var go = button(C.mergeInto, "merge-suggested", "button-secondary button-small");
        go.dataset.into = best.id;
        hint.appendChild(go);
        body.appendChild(hint);
      }
      row.appendChild(body);
      var acts = el("div", "queue-actions");
      acts.appendChild(button(C.approve, "approve", "button"));
      acts.appendChild(button(C.hide, "hide"));
      acts.appendChild(button(C.edit, "edit"));
      acts.appendChild(button(C.merge, "merge"));
      row.appendChild(acts);
      list.appendChild(row);
    });
    updateSelection();
  }

  function renderTable() {
    var wrap = $("items");
    wrap.textContent = "";
    var any = false;
    ["challenge", "proposal"].forEach(function (kind) {
      var rows = board.items.filter(function (it) { return it.kind === kind && it.status !== "pending"; });
      if (!rows.length) return;
      any = true;
      var rules = board.voting[kind] || {};
      wrap.appendChild(el("h3", null, L.kinds[kind]));
      var table = el("table", "table items-table");
      var head = el("tr");
      [C.text, C.status, rules.method === "dot" ? C.points : C.votes, C.actions].forEach(function (h, i) {
        var th = el("th", i === 2 ? "num" : null, h);
        th.scope = "col";
        head.appendChild(th);
      });
      var thead = el("thead");
      thead.appendChild(head);
      table.appendChild(thead);
      var tbody = el("tbody");
      rows.forEach(function (it) {
        var tr = el("tr", "mod-row");
        tr.id = "item-" + it.id;
        tr.dataset.id = it.id;
        tr.tabIndex = -1;
        var td = el("td", "text-cell");
        td.appendChild(textCell(it));
        tr.appendChild(td);
        var st = el("td");
        st.appendChild(el("span", "badge status-" + it.status, C.statuses[it.status] || it.status));
        tr.appendChild(st);
        tr.appendChild(el("td", "num", String(it.votes)));
        var acts = el("td", "actions");
        var box = el("div", "actions-row");
        box.appendChild(it.status === "approved" ? button(C.hide, "hide") : button(C.approve, "approve"));
        box.appendChild(button(C.merge, "merge"));
        box.appendChild(button(C.edit, "edit"));
        acts.appendChild(box);
        tr.appendChild(acts);
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      wrap.appendChild(table);
    });
    if (!any) wrap.appendChild(el("p", "muted", C.nothingApproved));
  }

  function renderMerges() {
    var list = $("merges");
    list.textContent = "";
    board.merges.forEach(function (m) {
      var li = el("li");
      li.appendChild(el("span", null, m.source.text, true));
      li.appendChild(document.createTextNode(" → "));
      li.appendChild(el("span", null, m.target.text, true));
      li.appendChild(document.createTextNode(" "));
      if (m.undone) li.appendChild(el("span", "badge", C.undoneTag));
      else if (m.undoable) {
        var b = button(C.undo, "undo", "button-secondary button-small");
        b.dataset.merge = m.id;
        li.appendChild(b);
      }
      list.appendChild(li);
    });
    if (!board.merges.length) list.appendChild(el("li", "muted", C.noMerge));
  }

  function dialogOpen() { return !!document.querySelector("dialog[open]"); }
  function busy() {
    var a = document.activeElement;
    if (editing !== null) return true;
    return dialogOpen() || !!(a && section.contains(a) && /^(TEXTAREA|SELECT)$|^INPUT$/.test(a.tagName) &&
      a.type !== "checkbox" && a.id !== "select-all");
  }
  function render(force) {
    if (!force && busy()) { renderLater = true; return; }
    renderLater = false;
    var focused = document.activeElement;
    var hadFocus = focused && focused.classList && focused.classList.contains("mod-row");
    Object.keys(selected).forEach(function (id) {
      var it = byId(+id);
      if (!it || it.status !== "pending") delete selected[id];
    });
    renderQueue();
    renderTable();
    renderMerges();
    placeCursor(hadFocus);
  }
  function renderIfLate() { setTimeout(function () { if (renderLater) render(); }, 200); }
  document.addEventListener("focusout", renderIfLate);
  ["hide-dialog", "merge-dialog"].forEach(function (id) { $(id).addEventListener("close", renderIfLate); });

  // --- selection and the keyboard cursor ---------------------------------------------------------------------
  function updateSelection() {
    var ids = Object.keys(selected);
    var counter = $("selected-count");
    if (counter) counter.textContent = ids.length ? fmt(C.selectedN, ids.length) : "";
    var all = $("select-all");
    var shown = section.querySelectorAll("#queue .pick");
    if (all) {
      all.checked = shown.length > 0 && ids.length >= shown.length;
      all.indeterminate = ids.length > 0 && ids.length < shown.length;
    }
    // The bulk buttons appear once something is selected (the row buttons act on one item).
    ["bulk-approve", "bulk-hide"].forEach(function (id) { if ($(id)) $(id).hidden = !ids.length; });
    Array.prototype.forEach.call(shown, function (box) {
      box.closest(".mod-row").classList.toggle("is-selected", box.checked);
    });
  }
  function rows() { return Array.prototype.slice.call(section.querySelectorAll(".mod-row")); }
  function placeCursor(focus) {
    var all = rows();
    all.forEach(function (r) { r.classList.remove("is-current"); });
    if (cursor === null) return;
    var row = $("item-" + cursor);
    if (!row || !row.classList.contains("mod-row")) { cursor = all.length ? +all[0].dataset.id : null; row = all[0]; }
    if (!row) return;
    row.classList.add("is-current");
    if (focus) row.focus();
  }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.findIndex(function (r) { return +r.dataset.id === cursor; });
    index = index < 0 ? 0 : Math.max(0, Math.min(all.length - 1, index + step));
    cursor = +all[index].dataset.id;
    placeCursor(true);
    all[index].scrollIntoView({ block: "nearest" });
  }
  function afterActing(ids) {
    // The keyboard goes on to the next waiting item rather than following the item into the table.
    if (cursor === null || ids.indexOf(cursor) < 0) return;
    var next = pendingItems().filter(function (it) { return ids.indexOf(it.id) < 0 && it.id > cursor; })[0] ||
      pendingItems().filter(function (it) { return ids.indexOf(it.id) < 0; }).slice(-1)[0];
    cursor = next ? next.id : cursor;
  }
  function targets(id) {
    var ids = Object.keys(selected).map(Number);
    return ids.length ? ids : (id !== null && id !== undefined ? [id] : []);
  }

  // --- actions -------------------------------------------------------------------------------------------------
  function failed(error) { say(error.message, true); }
  function moderate(ids, action, reason, note) {
    if (!ids.length) return Promise.resolve();
    var body = { items: ids, action: action };
    if (action === "hide") { body.reason = reason; body.note = note || ""; }
    return call("POST", "/items/moderation", body).then(function (answer) {
      afterActing(ids);
      ids.forEach(function (id) { delete selected[id]; });
      answer.items.forEach(function (fresh) {
        var it = byId(fresh.id);
        if (it) it.status = fresh.status;
      });
      say(fmt(action === "approve" ? C.approvedN : C.hiddenN, ids.length));
      render(true);
      schedule(true);
    }, failed);
  }

  var hideIds = [];
  function openHide(ids) {
    if (!ids.length) return;
    hideIds = ids;
    var dialog = $("hide-dialog");
    $("hide-what").textContent = fmt(C.selectedN, ids.length);
    $("hide-error").textContent = "";
    $("hide-note").value = "";
    Array.prototype.forEach.call(dialog.querySelectorAll("input[type=radio]"), function (r) { r.checked = false; });
    dialog.showModal();
    var first = dialog.querySelector("input[type=radio]");
    if (first) first.focus();
  }
  $("hide-confirm").addEventListener("click", function (event) {
    event.preventDefault();
    var dialog = $("hide-dialog");
    var chosen = dialog.querySelector("input[name=hide-reason]:checked");
    var note = $("hide-note").value.trim();
    if (!chosen || (chosen.value === "other" && !note)) { $("hide-error").textContent = C.noReason; return; }
    dialog.close();
    moderate(hideIds, "hide", chosen.value, note);
  });

  var mergeSource = null;
  function candidates(source) {
    return board.items.filter(function (it) {
      return it.id !== source.id && it.kind === source.kind && it.status !== "hidden";
    });
  }
  function drawMergeOptions(preselect) {
    var source = byId(mergeSource);
    var list = $("merge-options");
    var query = $("merge-search").value.trim().toLowerCase();
    var checked = list.querySelector("input:checked");
    var keep = preselect !== undefined ? preselect : (checked ? +checked.value : null);
    var shown;
    if (query) {
      shown = candidates(source).filter(function (it) {
        return it.text.toLowerCase().indexOf(query) >= 0 || ("#" + it.id) === query || String(it.id) === query;
      }).slice(0, 20);
    } else {
      shown = (source.suggestions || []).map(function (s) { return byId(s.id) || s; });
    }
    list.textContent = "";
    if (!shown.length) list.appendChild(el("li", "muted", C.noMatch));
    shown.forEach(function (it) {
      var li = el("li");
      var label = el("label", "radio-row");
      var radio = el("input");
      radio.type = "radio";
      radio.name = "merge-target";
      radio.value = it.id;
      radio.checked = it.id === keep;
      label.appendChild(radio);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(el("span", null, it.text, true));
      label.appendChild(document.createTextNode(" "));
      label.appendChild(itemNo(it.id));
      li.appendChild(label);
      list.appendChild(li);
    });
  }
  function openMerge(id, into) {
    var source = byId(id);
    if (!source) return;
    mergeSource = id;
    $("merge-source").textContent = source.text;
    $("merge-search").value = "";
    $("merge-error").textContent = "";
    var best = into !== undefined ? into : (source.suggestions.length ? source.suggestions[0].id : null);
    drawMergeOptions(best);
    $("merge-dialog").showModal();
    var chosen = $("merge-options").querySelector("input:checked");
    (chosen ? $("merge-confirm") : $("merge-search")).focus();
  }
  $("merge-search").addEventListener("input", function () { drawMergeOptions(); });
  $("merge-confirm").addEventListener("click", function (event) {
    event.preventDefault();
    var chosen = $("merge-options").querySelector("input:checked");
    if (!chosen) { $("merge-error").textContent = C.noTarget; return; }
    var source = mergeSource, into = +chosen.value;
    $("merge-dialog").close();
    call("POST", "/items/" + source + "/merge", { into: into }).then(function (answer) {
      afterActing([source]);
      delete selected[source];
      lastMerge = answer.merge;
      board.items = board.items.filter(function (it) { return it.id !== source; });
      showMerged(answer.merge);
      render(true);
      schedule(true);
    }, failed);
  });
  function showMerged(mergeId) {
    var notice = $("merge-notice");
    notice.textContent = "";
    notice.appendChild(el("span", null, C.merged + " "));
    var b = button(C.undo, "undo", "button");
    b.dataset.merge = mergeId;
    notice.appendChild(b);
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { notice.hidden = true; }, 30000);
  }
  function undo(mergeId) {
    if (!mergeId) return;
    call("POST", "/merges/" + mergeId + "/undo").then(function (answer) {
      if (lastMerge === mergeId) lastMerge = null;
      $("merge-notice").hidden = true;
      say(answer.not_restored ? fmt(C.undoneSome, answer.not_restored) : C.undone);
      schedule(true);
    }, failed);
  }

  function startEdit(id) {
    editing = id;
    render(true);
    var area = section.querySelector("#item-" + id + " textarea");
    if (area) area.focus();
  }
  function saveEdit(id) {
    var area = section.querySelector("#item-" + id + " textarea");
    if (!area) return;
    call("POST", "/items/" + id + "/edit", { text: area.value }).then(function (fresh) {
      var it = byId(id);
      if (it) it.text = fresh.text;
      editing = null;
      say(C.saved);
      render(true);
      cursor = id;
      placeCursor(true);
      schedule(true);
    }, failed);
  }

  section.addEventListener("click", function (event) {
    var target = event.target.closest("[data-act]");
    if (!target || !section.contains(target)) return;
    var row = target.closest(".mod-row");
    var id = row ? +row.dataset.id : null;
    if (id !== null) cursor = id;
    switch (target.dataset.act) {
      case "approve": moderate([id], "approve"); break;
      case "hide": openHide([id]); break;
      case "edit": startEdit(id); break;
      case "save": saveEdit(id); break;
      case "cancel-edit": editing = null; render(true); break;
      case "merge": openMerge(id); break;
      case "merge-suggested": openMerge(id, +target.dataset.into); break;
      case "undo": undo(+target.dataset.merge); break;
    }
  });
  section.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest(".mod-row");
    if (row && +row.dataset.id !== cursor) {
      cursor = +row.dataset.id;
      placeCursor(false);
    }
  });
  section.addEventListener("change", function (event) {
    var box = event.target;
    if (box.id === "select-all") {
      Array.prototype.forEach.call(section.querySelectorAll("#queue .pick"), function (b) {
        b.checked = box.checked;
        if (box.checked) selected[b.dataset.id] = true; else delete selected[b.dataset.id];
      });
      updateSelection();
    } else if (box.classList.contains("pick")) {
      if (box.checked) selected[box.dataset.id] = true; else delete selected[box.dataset.id];
      updateSelection();
    }
  });
  $("bulk-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var how = event.submitter ? event.submitter.value : "approve";
    var ids = Object.keys(selected).map(Number);
    if (how === "hide") openHide(ids); else moderate(ids, "approve");
  });

  // --- keyboard ------------------------------------------------------------------------------------------------
  var help = $("shortcuts"), helpButton = $("shortcuts-open");
  function toggleHelp(open) {
    help.hidden = open === undefined ? !help.hidden : !open;
    helpButton.setAttribute("aria-expanded", String(!help.hidden));
  }
  helpButton.hidden = false;
  helpButton.addEventListener("click", function () { toggleHelp(); });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || dialogOpen()) return;
    var t = event.target;
    if (t && (t.isContentEditable || /^(TEXTAREA|SELECT)$/.test(t.tagName) ||
      (t.tagName === "INPUT" && t.type !== "checkbox" && t.type !== "radio"))) return;
    var key = event.key;
    if (key === "Escape" && !help.hidden) { toggleHelp(false); return; }
    var row = cursor !== null ? $("item-" + cursor) : null;
    var it = cursor !== null ? byId(cursor) : null;
    var handled = true;
    if (key === "j") move(1);
    else if (key === "k") move(-1);
    else if (key === "x" && it && it.status === "pending") {
      if (selected[cursor]) delete selected[cursor]; else selected[cursor] = true;
      var box = row && row.querySelector(".pick");
      if (box) box.checked = !!selected[cursor];
      updateSelection();
    } else if (key === "a") {
      var ids = targets(it && it.status !== "approved" ? cursor : null);
      moderate(ids, "approve");
    } else if (key === "h") openHide(targets(it && it.status !== "hidden" ? cursor : null));
    else if (key === "m" && it) openMerge(cursor);
    else if (key === "e" && it) startEdit(cursor);
    else if (key === "u") undo(lastMerge || (board.merges.filter(function (m) { return m.undoable; })[0] || {}).id);
    else if (key === "?") toggleHelp();
    else handled = false;
    if (handled) event.preventDefault();
  });

  // --- the rest of the console: headcount (live.js), phase name, result bars -------------------------------
  // The result bars follow every state; the other server-drawn parts (results by group, suspicious joins) are
  // read again from the page at most every 15 s while states keep coming, never while someone works in them.
  var REST_EVERY = 15000, restTimer = null, restLast = Date.now();
  function refreshRest() {
    restTimer = null;
    var parts = ["results", "joins"].map($).filter(function (part) {
      return part && !part.contains(document.activeElement);
    });
    if (!parts.length) return;
    restLast = Date.now();
    fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        parts.forEach(function (part) {
          var next = fresh.getElementById(part.id);
          if (next && !part.contains(document.activeElement)) part.innerHTML = next.innerHTML;
        });
      })
      .catch(function () { /* the next state retries */ });
  }
  function otherParts(state, newer) {
    var name = $("phase-name");
    if (name && L.phases[state.phase]) name.textContent = L.phases[state.phase];
    if (newer && !restTimer) restTimer = setTimeout(refreshRest, Math.max(0, restLast + REST_EVERY - Date.now()));
    var bars = $("results-bars");
    if (bars) live.resultsInto(bars, state);
  }

  live.screen({
    start: function () {
      section.classList.add("has-js");
      render(true);
    },
    state: function (state, newer) {
      otherParts(state, newer);
      if (newer && state.version > board.version) schedule();
    },
    open: function () { schedule(); }
  });
})();
