/* Majlis participant page (after live.js): the room's items, votes and submissions through the REST API with the
   participant's token. Losing the connection: the page says so in words (#connection-note, aria-live), keeps what
   was typed (also across a reload), reconnects with backoff and catches up from the REST state; a vote made
   without a network is queued (kept in sessionStorage) and sent when the connection returns, or reported as not
   sent if the server refuses it then. */
(function () {
  "use strict";
  var live = window.MajlisLive;
  if (!live) return;
  var root = live.root, code = live.code, L = live.labels, KIND_OF_PHASE = live.KIND_OF_PHASE;
  var $ = live.$, el = live.el, say = live.say, call = live.call, resultsInto = live.resultsInto;
  var ballots = live.ballots;
  var token = live.token;
  var statusEl = $("live-status");
  var noteEl = $("connection-note");
  // --- participant ----------------------------------------------------------------------------------------
  var draftKey = "majlis-draft-" + code;
  var queueKey = "majlis-queue-" + code;
  var noticeKey = "majlis-notice-" + code;
  var voteSignature = "";
  var queue = {}; // item id -> {points, withdraw}: votes made while the network was gone
  var flushing = false;
  var reloadWanted = false;
  function store(key, value) {
    try {
      if (value) sessionStorage.setItem(key, value); else sessionStorage.removeItem(key);
    } catch (e) { /* private mode: kept in this page only */ }
  }
  function saveQueue() { store(queueKey, Object.keys(queue).length ? JSON.stringify(queue) : ""); }
  function reloadKeepingWhatWasTyped() {
    var area = document.querySelector(".submit-form textarea");
    if (area && area.value.trim()) store(draftKey, area.value);
    if (statusEl && statusEl.textContent && statusEl.classList.contains("is-error")) { // e.g. a vote refused
      store(noticeKey, JSON.stringify({ text: statusEl.textContent, error: statusEl.classList.contains("is-error") }));
    }
    location.reload();
  }
  function renderParticipant(state) {
    if (state.phase !== live.phase()) {
      // Votes still queued are sent (or reported as refused) before the page changes.
      if (flushing) { reloadWanted = true; return; }
      reloadKeepingWhatWasTyped();
      return;
    }
    var kindNow = KIND_OF_PHASE[state.phase];
    var room = $("room-list");
    if (room && kindNow) {
      var roomItems = state.items.filter(function (it) { return it.kind === kindNow; });
      room.textContent = "";
      roomItems.forEach(function (it) { room.appendChild(el("li", null, it.text, true)); });
      if (!roomItems.length) room.appendChild(el("li", "muted", L.nothingYet));
    }
    renderVotes(state);
    var results = $("results");
    if (results) {
      results.hidden = !state.results_visible;
      if (state.results_visible) resultsInto($("results-body"), state);
    }
  }
  function voteItem(it) {
    var method = root.dataset.votingMethod;
    var mine = ballots[it.id] || 0;
    var li = el("li", "vote-item" + (mine ? " is-mine" : ""));
    li.id = "item-" + it.id;
    li.dataset.item = it.id;
    li.appendChild(el("p", "vote-text", it.text, true));
    var form = el("form", "vote-form");
    form.method = "post";
    form.action = root.dataset.voteUrl;
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (csrf) form.appendChild(csrf.cloneNode());
    var hidden = el("input");
    hidden.type = "hidden"; hidden.name = "item"; hidden.value = it.id;
    form.appendChild(hidden);
    if (method === "dot") {
      var label = el("label", null, L.myPoints);
      label.htmlFor = "points-" + it.id;
      var input = el("input", "points-input");
      input.type = "number"; input.name = "points"; input.id = "points-" + it.id; input.min = 0;
      input.max = root.dataset.maxPerItem; input.value = mine; input.inputMode = "numeric";
      var give = el("button", "button", L.give);
      give.type = "submit";
      form.appendChild(label); form.appendChild(input); form.appendChild(give);
    } else {
      if (mine) {
        var withdraw = el("input");
        withdraw.type = "hidden"; withdraw.name = "withdraw"; withdraw.value = "1";
        form.appendChild(withdraw);
      }
      var toggle = el("button", "button vote-toggle" + (mine ? " is-on" : " button-secondary"), mine ? L.voted : L.vote);
      toggle.type = "submit";
      toggle.setAttribute("aria-pressed", mine ? "true" : "false");
      form.appendChild(toggle);
    }
    li.appendChild(form);
    if (queue[it.id]) markQueued(li);
    return li;
  }
  function markQueued(li) {
    li.classList.add("is-queued");
    if (!li.querySelector(".vote-queued") && noteEl) {
      var waiting = el("p", "vote-queued", noteEl.dataset.waiting);
      li.querySelector(".vote-form").appendChild(waiting);
    }
  }
  function flush() {
    var ids = Object.keys(queue);
    if (!ids.length || flushing) return;
    flushing = true;
    var sent = 0;
    var refused = [];
    ids.reduce(function (chain, id) {
      return chain.then(function () {
        var vote = queue[id];
        var request = vote.withdraw ? call("DELETE", "/votes/" + id)
          : call("POST", "/votes", { item: parseInt(id, 10), points: vote.points });
        return request.then(function () {
          delete queue[id];
          if (vote.withdraw) delete ballots[id]; else ballots[id] = vote.points;
          sent += 1;
        }, function (error) {
          if (error.offline) throw error; // still no network: the rest stays queued
          delete queue[id];
          refused.push(error.message);
        });
      });
    }, Promise.resolve()).catch(function () { /* retried when the connection returns */ }).then(function () {
      saveQueue();
      if (refused.length) say(L.notSent + " " + refused[0], true);
      else if (sent && noteEl) say(noteEl.dataset.sentLater, false);
      return refreshMine().catch(function () {});
    }).then(function () {
      flushing = false;
      if (reloadWanted) { reloadKeepingWhatWasTyped(); return; }
      if (live.state()) renderVotes(live.state(), true);
      else document.querySelectorAll("#vote-list .vote-item").forEach(function (li) {
        if (!queue[li.dataset.item]) {
          li.classList.remove("is-queued");
          var waiting = li.querySelector(".vote-queued");
          if (waiting) waiting.remove();
        }
      });
    });
  }
  function renderVotes(state, force) {
    var list = $("vote-list");
    var kind = root.dataset.votingKind;
    if (!list || !kind) return;
    var items = state.items.filter(function (it) { return it.kind === kind; });
    var signature = items.map(function (it) { return it.id + ":" + it.text + ":" + (ballots[it.id] || 0); }).join("|");
    if (signature === voteSignature && !force) return;
    if (!force && list.contains(document.activeElement) && document.activeElement.type === "number") return;
    voteSignature = signature;
    list.textContent = "";
    items.forEach(function (it) { list.appendChild(voteItem(it)); });
    if (!items.length) list.appendChild(el("li", "muted", L.nothingToVote));
  }
  function refreshMine() {
    return call("GET", "/me").then(function (me) {
      ballots = {};
      me.ballots.forEach(function (b) { ballots[b.item] = b.points; });
      var left = $("points-left");
      var kind = root.dataset.votingKind;
      if (left && kind && me.points_left[kind] !== null) left.textContent = me.points_left[kind];
      var mineItems = $("mine-items");
      if (mineItems) {
        mineItems.textContent = "";
        me.items.forEach(function (it) {
          var li = el("li");
          li.appendChild(el("span", "badge status-" + it.status, L.statuses[it.status] || it.status));
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", null, it.text, true));
          mineItems.appendChild(li);
        });
        if (!me.items.length) mineItems.appendChild(el("li", "muted", L.nothingWritten));
      }
      var mineVotes = $("mine-votes");
      if (mineVotes) {
        var texts = {};
        (live.state() ? live.state().items : []).forEach(function (it) { texts[it.id] = it.text; });
        document.querySelectorAll("#vote-list .vote-item").forEach(function (li) {
          texts[li.dataset.item] = texts[li.dataset.item] || li.querySelector(".vote-text").textContent;
        });
        mineVotes.textContent = "";
        me.ballots.forEach(function (b) {
          var li = el("li");
          li.appendChild(el("span", null, texts[b.item] || "—", true));
          li.appendChild(document.createTextNode(" · "));
          li.appendChild(el("strong", null, b.points));
          mineVotes.appendChild(li);
        });
        if (!me.ballots.length) mineVotes.appendChild(el("li", "muted", L.noVotes));
      }
    });
  }
  function onVote(event) {
    var form = event.target.closest ? event.target.closest(".vote-form") : null;
    if (!form) return;
    event.preventDefault();
    var li = form.closest(".vote-item");
    var item = parseInt(form.querySelector("input[name=item]").value, 10);
    var points = form.elements.points ? parseInt(form.elements.points.value, 10) : 1;
    var withdraw = !!form.elements.withdraw || points === 0;
    if (isNaN(points) || points < 0) { say(L.notSent + " " + L.choosePoints, true); return; }
    var old = li.querySelector(".vote-error");
    if (old) old.remove();
    li.classList.add("is-sending");
    var request = withdraw ? call("DELETE", "/votes/" + item) : call("POST", "/votes", { item: item, points: points });
    request.then(function () {
      if (withdraw) delete ballots[item]; else ballots[item] = points;
      say(withdraw ? L.voteWithdrawn : L.voteCounted, false);
      return refreshMine().catch(function () {});
    }).then(function () {
      if (live.state()) renderVotes(live.state(), true);
      else li.classList.remove("is-sending");
      var again = $("item-" + item);
      var button = again && again.querySelector("button");
      if (button) button.focus();
    }, function (error) {
      li.classList.remove("is-sending");
      if (error.offline && noteEl) {
        queue[item] = { points: points, withdraw: withdraw };
        saveQueue();
        markQueued(li);
        say(noteEl.dataset.queued, true);
        return;
      }
      var message = L.notSent + " " + error.message;
      var note = el("p", "vote-error", message);
      note.setAttribute("role", "alert");
      form.appendChild(note);
      say(message, true);
    });
  }
  function onSubmit(event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("submit-form")) return;
    event.preventDefault();
    var area = form.elements.text;
    var answers = [];
    form.querySelectorAll("input[name=answers]:checked").forEach(function (box) { answers.push(parseInt(box.value, 10)); });
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    call("POST", "/items", { kind: form.elements.kind.value, text: area.value, answers: answers }).then(function (item) {
      area.value = "";
      form.querySelectorAll("input[name=answers]:checked").forEach(function (box) { box.checked = false; });
      try { sessionStorage.removeItem(draftKey); } catch (e) { /* private mode */ }
      say(item.status === "pending" ? L.pending : L.sent, false);
      refreshMine().catch(function () {});
    }, function (error) {
      say(L.notSubmitted + " " + error.message, true);
      area.setAttribute("aria-invalid", "true");
      area.focus();
    }).then(function () { button.disabled = false; });
  }
  function startParticipant() {
    var area = document.querySelector(".submit-form textarea");
    try {
      var draft = sessionStorage.getItem(draftKey);
      if (area && draft && !area.value) area.value = draft;
      sessionStorage.removeItem(draftKey);
      queue = JSON.parse(sessionStorage.getItem(queueKey) || "{}") || {};
      var notice = JSON.parse(sessionStorage.getItem(noticeKey) || "null");
      if (notice) say(notice.text, notice.error);
      sessionStorage.removeItem(noticeKey);
    } catch (e) { queue = {}; /* private mode */ }
    document.querySelectorAll("#vote-list .vote-item").forEach(function (li) {
      if (queue[li.dataset.item]) markQueued(li);
    });
    // What is typed survives a reload (a phase change, a lost connection); it is forgotten once sent.
    document.addEventListener("input", function (event) {
      if (event.target.closest && event.target.closest(".submit-form") && event.target.name === "text") {
        store(draftKey, event.target.value);
      }
    });
    document.addEventListener("submit", function (event) {
      if (event.target.classList.contains("vote-form")) onVote(event);
      else onSubmit(event);
    });
  }

  live.screen({ start: startParticipant, state: renderParticipant, open: flush });
})();
