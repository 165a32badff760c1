/* Majlis projector (after live.js): pages through every approved item of the phase, or through the ranked
   results while they are shown, one page every data-interval seconds (docs/guide.md, "The projector").

   What it shows is what anyone in the room may see: approved items only, and counts only while results are
   shown, whatever the socket sends. Items page in the order they came (by id): the next page starts after the
   last item shown, so an item that arrives or leaves never makes another one skipped; the newest item (the last
   to reach the screen: under pre-moderation, the last approved) is highlighted, and while there are several
   pages it is also shown at once in the "Just in" strip. The grid's
   size (how many cards a page holds) comes from projector.css (--cols, --rows, --bar-rows); each card's text
   is made smaller until it fits, and clamped with an ellipsis at the smallest size. */
(function () {
  "use strict";
  var live = window.MajlisLive;
  if (!live) return;
  var root = live.root, L = live.labels, KIND_OF_PHASE = live.KIND_OF_PHASE;
  var $ = live.$, el = live.el;
  var interval = Math.max(500, 1000 * (parseFloat(root.dataset.interval) || 8));
  var FIT_STEPS = [1, 0.9, 0.8, 0.7, 0.62]; // font scales tried, largest first, before clamping
  var SMALLEST = 1.3; // the smallest text, in hundredths of the screen's width (projector.css --u)

  var current = null;   // the last state, as the public sees it
  var itemsAfter = 0;   // the page shown starts after the item with this id (0: the first page)
  var shownIds = [];    // the ids on the page shown
  var resultStart = {}; // per kind: the rank (from 0) the page of results shown starts at
  var drawn = "";       // what the page shows, to redraw only on change
  var arrived = {};     // item id -> when the projector first saw it (an item approved late is new then)
  var arrivals = 0;

  function publicView(state) {
    return state.items.filter(function (it) { return it.status === "approved"; }).map(function (it) {
      return { id: it.id, kind: it.kind, text: it.text, votes: state.results_visible ? it.votes : null };
    });
  }
  function cssNumber(node, name, fallback) {
    var value = parseInt(getComputedStyle(node).getPropertyValue(name), 10);
    return value > 0 ? value : fallback;
  }
  function pageOf(page, pages) {
    return String(L.pageOf || "%(page)s / %(pages)s").replace("%(page)s", page).replace("%(pages)s", pages);
  }

  // The lines of text that fit whole in its box, from the layout (fonts of two scripts on one line can make a
  // line taller than line-height says): how many, and where the last one ends.
  function wholeLines(text) {
    var range = document.createRange();
    range.selectNodeContents(text);
    var top = text.getBoundingClientRect().top;
    var limit = top + text.clientHeight + 0.5;
    var lines = [];
    Array.prototype.forEach.call(range.getClientRects(), function (rect) {
      if (!rect.height) return;
      var line = lines.filter(function (l) { return rect.top < l.bottom - 1 && rect.bottom > l.top + 1; })[0];
      if (line) { line.top = Math.min(line.top, rect.top); line.bottom = Math.max(line.bottom, rect.bottom); }
      else lines.push({ top: rect.top, bottom: rect.bottom });
    });
    var whole = lines.filter(function (l) { return l.bottom <= limit; });
    var end = whole.reduce(function (most, l) { return Math.max(most, l.bottom); }, top);
    return { count: whole.length, height: end - top };
  }

  // Make text fit its box: smaller steps, then, at the smallest, the lines that fit whole and an ellipsis.
  function fit(text) {
    text.style.removeProperty("--fit");
    text.style.removeProperty("-webkit-line-clamp");
    text.style.removeProperty("max-block-size");
    text.classList.remove("is-clamped");
    var base = parseFloat(getComputedStyle(text).fontSize);
    var unit = Math.min(window.innerWidth / 100, window.innerHeight * 1.7778 / 100);
    for (var i = 0; i < FIT_STEPS.length && (i === 0 || base * FIT_STEPS[i] >= SMALLEST * unit - 0.5); i += 1) {
      text.style.setProperty("--fit", FIT_STEPS[i]);
      if (text.scrollHeight <= text.clientHeight + 1) return;
    }
    var lines = wholeLines(text);
    text.style.setProperty("-webkit-line-clamp", String(Math.max(1, lines.count)));
    text.style.setProperty("max-block-size", Math.max(1, Math.floor(lines.height)) + "px");
    text.classList.add("is-clamped");
  }

  // Fit again every text that does not fit (as drawn): after the boxes change size or a font arrives.
  var refitting = 0;
  function refit() {
    cancelAnimationFrame(refitting);
    refitting = requestAnimationFrame(function () {
      var texts = document.querySelectorAll(".projector-card p, .projector-newest-text, .projector-results .bar-label");
      Array.prototype.forEach.call(texts, function (text) {
        var over = text.scrollHeight > text.clientHeight + 1;
        if (over && text.offsetParent !== null && !text.classList.contains("is-clamped")) fit(text);
      });
    });
  }

  function kindShown(state, items) {
    var kind = KIND_OF_PHASE[state.phase];
    if (kind) return kind;
    return items.some(function (it) { return it.kind === "proposal"; }) ? "proposal" : "challenge";
  }

  // --- items ------------------------------------------------------------------------------------------------
  function renderItems(state, items) {
    var kind = kindShown(state, items);
    items = items.filter(function (it) { return it.kind === kind; });
    var list = $("projector-items");
    var perPage = cssNumber(list, "--cols", 2) * cssNumber(list, "--rows", 3);
    var rest = items.filter(function (it) { return it.id > itemsAfter; });
    if (!rest.length) { itemsAfter = 0; rest = items; }
    var page = rest.slice(0, perPage);
    // The newest is the last to reach the screen (the last approved under pre-moderation), not the highest id.
    var newest = null;
    items.forEach(function (it) {
      if (!arrived[it.id]) { arrivals += 1; arrived[it.id] = arrivals; }
      if (!newest || arrived[it.id] > arrived[newest.id]) newest = it;
    });
    var pages = Math.max(1, Math.ceil(items.length / perPage));
    var pageNo = Math.min(pages, Math.max(1, Math.ceil((items.length - rest.length + page.length) / perPage)));
    shownIds = page.map(function (it) { return it.id; });
    var signature = JSON.stringify([page, newest && newest.id, pages, pageNo, newest && newest.text]);
    if (signature === drawn) return;
    drawn = signature;

    list.textContent = "";
    page.forEach(function (it) {
      var card = el("li", "projector-card" + (newest && it.id === newest.id ? " is-newest" : ""));
      card.dataset.item = it.id;
      card.appendChild(el("p", null, it.text, true));
      list.appendChild(card);
    });
    if (!items.length && state.phase !== "lobby") list.appendChild(el("li", "projector-empty", L.nothingYet || ""));
    var strip = $("projector-newest");
    strip.hidden = pages < 2 || !newest;
    var stripText = strip.querySelector(".projector-newest-text");
    stripText.textContent = newest ? newest.text : "";
    stripText.dataset.item = newest ? newest.id : "";
    var pager = $("projector-pager");
    pager.hidden = pages < 2;
    pager.textContent = pageOf(pageNo, pages);
    Array.prototype.forEach.call(list.querySelectorAll(".projector-card p"), fit);
    if (!strip.hidden) fit(stripText);
    refit();
  }

  // --- results ----------------------------------------------------------------------------------------------
  function renderResults(state, items) {
    var container = $("projector-results");
    var phaseKind = KIND_OF_PHASE[state.phase];
    var kinds = (phaseKind ? [phaseKind] : ["challenge", "proposal"]).filter(function (kind) {
      return items.some(function (it) { return it.kind === kind; });
    });
    container.classList.toggle("is-two", kinds.length > 1);
    var perPage = cssNumber(container, "--bar-rows", 6);
    var signature = JSON.stringify([kinds.map(function (kind) {
      return [kind, resultStart[kind] || 0, live.methodOf(state, kind)];
    }), items, perPage]);
    if (signature === drawn) return;
    drawn = signature;
    container.textContent = "";
    kinds.forEach(function (kind) {
      var ofKind = items.filter(function (it) { return it.kind === kind; });
      var start = resultStart[kind] || 0;
      if (start >= ofKind.length) start = resultStart[kind] = 0;
      var column = el("section", "projector-column");
      column.dataset.kind = kind;
      column.appendChild(el("h2", null, L.kinds[kind]));
      var list = live.bars(ofKind, live.methodOf(state, kind));
      Array.prototype.slice.call(list.children).forEach(function (row, rank) {
        if (rank < start || rank >= start + perPage) { list.removeChild(row); return; }
        var number = el("span", "bar-rank", String(rank + 1));
        number.setAttribute("aria-hidden", "true");
        row.insertBefore(number, row.firstChild);
      });
      list.start = start + 1;
      column.appendChild(list);
      var pages = Math.ceil(ofKind.length / perPage);
      if (pages > 1) {
        var pager = el("p", "projector-pager", pageOf(Math.floor(start / perPage) + 1, pages));
        pager.dir = "ltr";
        column.appendChild(pager);
      }
      container.appendChild(column);
      Array.prototype.forEach.call(list.querySelectorAll(".bar-label"), fit);
    });
    refit();
  }

  // --- the page -----------------------------------------------------------------------------------------------
  function render() {
    if (!current) return;
    var items = publicView(current);
    var showResults = !!current.results_visible;
    $("projector-results").hidden = !showResults;
    $("projector-stage").hidden = showResults;
    if (showResults) renderResults(current, items);
    else renderItems(current, items);
  }

  function onState(state) {
    if (state.code && state.code !== live.code) { location.reload(); return; }
    // Closing (or opening again) changes the side panel: the join code gives way to where the results are.
    if ((state.phase === "closed") !== (root.dataset.phase === "closed")) { location.reload(); return; }
    if (state.phase !== live.phase()) {
      live.setPhase(state.phase);
      $("phase-name").textContent = L.phases[state.phase] || state.phase;
      $("phase-instruction").textContent = L.instructions[state.phase] || "";
      itemsAfter = 0;
      resultStart = {};
    }
    var locked = $("locked-note");
    if (locked) locked.hidden = !state.locked;
    current = state;
    render();
  }

  // Every interval: the next page of items, or of each kind's results.
  function turn() {
    if (!current) return;
    if (current.results_visible) {
      var perPage = cssNumber($("projector-results"), "--bar-rows", 6);
      Object.keys(L.kinds).forEach(function (kind) { resultStart[kind] = (resultStart[kind] || 0) + perPage; });
    } else if (shownIds.length) {
      itemsAfter = shownIds[shownIds.length - 1];
    }
    render();
  }

  // A room code that changes every minute: when it changes, the side panel (its QR code carries the code) is
  // fetched again and swapped in place; the pages go on turning where they were.
  function refreshJoinPanel(seconds) {
    setTimeout(function () {
      var asked = fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      asked.then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("projector-join");
        var panel = $("projector-join");
        var next = page.getElementById("live");
        if (!fresh || !panel || !next || !next.dataset.roomRefresh) { location.reload(); return; }
        var count = fresh.querySelector("#headcount");
        if (count && $("headcount")) count.textContent = $("headcount").textContent;
        var locked = fresh.querySelector("#locked-note");
        if (locked && current) locked.hidden = !current.locked;
        panel.replaceWith(document.importNode(fresh, true));
        refreshJoinPanel(parseInt(next.dataset.roomRefresh, 10) || 60);
      }).catch(function () { refreshJoinPanel(5); });
    }, 1000 * seconds + 300);
  }

  live.screen({
    start: function () {
      setInterval(turn, interval);
      if (root.dataset.roomRefresh) refreshJoinPanel(parseInt(root.dataset.roomRefresh, 10) || 60);
      if (window.ResizeObserver) {
        var watcher = new ResizeObserver(refit);
        ["projector-items", "projector-results", "projector-newest"].forEach(function (id) {
          watcher.observe($(id));
        });
      }
      if (document.fonts && document.fonts.addEventListener) document.fonts.addEventListener("loadingdone", refit);
      var resized = null;
      window.addEventListener("resize", function () {
        clearTimeout(resized);
        resized = setTimeout(function () { drawn = ""; render(); }, 200);
      });
    },
    state: onState
  });
})();
