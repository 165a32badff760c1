/* Majlis live pages: participant, facilitator console and projector (no build step, no library).
   Every page works without this script (plain forms). With it, the page listens to the session's WebSocket,
   renders each `state` message (ignoring older versions), reconnects with backoff and resynchronises from
   the REST state. Participants' votes and submissions go through the REST API with their token.
   Losing the connection (participant page): the page says so in words (#connection-note, aria-live), keeps
   what was typed (also across a reload), reconnects with backoff and catches up from the REST state; a vote
   made without a network is queued (kept in sessionStorage) and sent when the connection returns, or reported
   as not sent if the server refuses it then. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !("WebSocket" in window) || !window.fetch) return;

  var mode = root.dataset.mode;
  var code = root.dataset.code || "";
  var token = root.dataset.token || "";
  var api = root.dataset.api || "/api/v1/sessions/" + code;
  var labelsEl = document.getElementById("live-labels");
  var L = labelsEl ? JSON.parse(labelsEl.textContent) : {};
  var ballotsEl = document.getElementById("live-ballots");
  var ballots = ballotsEl ? JSON.parse(ballotsEl.textContent) : {};
  var shown = parseInt(root.dataset.version, 10) || 0;
  var phase = root.dataset.phase;
  var statusEl = document.getElementById("live-status");
  var connEl = document.getElementById("connection");
  var noteEl = document.getElementById("connection-note");
  var lastState = null;
  var KIND_OF_PHASE = { challenges: "challenge", challenge_voting: "challenge", proposals: "proposal",
    proposal_voting: "proposal" };

  // --- small helpers ------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text, auto) {
    var node = document.createElement(tag);
    if (auto) node.dir = "auto";
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(template, n) { return String(template || "%(n)s").replace("%(n)s", n); }
  function say(message, isError) {
    if (!statusEl) return;
    statusEl.textContent = message || "";
    statusEl.classList.toggle("is-error", !!isError);
  }
  function headers(json) {
    var h = { "Accept": "application/json" };
    if (json) h["Content-Type"] = "application/json";
    if (token) h.Authorization = "Participant " + token;
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (csrf) h["X-CSRFToken"] = csrf.value;
    return h;
  }
  function call(method, path, body) {
    return fetch(api + path, {
      method: method, headers: headers(body !== undefined), credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.detail || response.statusText || String(response.status));
        return data;
      });
    }, function () {
      var error = new Error(L.offline || "offline");
      error.offline = true; // the request never reached the server: it may be sent again
      throw error;
    });
  }
  function bars(items) {
    var top = 0;
    items = items.slice().sort(function (a, b) { return (b.votes || 0) - (a.votes || 0) || a.id - b.id; });
    items.forEach(function (it) { top = Math.max(top, it.votes || 0); });
    var list = el("ol", "bars");
    items.forEach(function (it) {
      var row = el("li", "bar-row");
      row.appendChild(el("span", "bar-label", it.text, true));
      var track = el("span", "bar-track");
      track.setAttribute("aria-hidden", "true");
      var fill = el("span", "bar-fill");
      fill.style.setProperty("--pct", (top ? Math.round(100 * (it.votes || 0) / top) : 0) + "%");
      track.appendChild(fill);
      row.appendChild(track);
      row.appendChild(el("span", "bar-value", it.votes === 1 && L.votes1 ? L.votes1 : fmt(L.votesN, it.votes || 0)));
      list.appendChild(row);
    });
    return list;
  }
  function resultsInto(container, state, limit, kinds) {
    container.textContent = "";
    (kinds || ["challenge", "proposal"]).forEach(function (kind) {
      var items = state.items.filter(function (it) { return it.kind === kind && it.status === "approved"; });
      if (!items.length) return;
      container.appendChild(el(mode === "projector" ? "h2" : "h3", null, L.kinds[kind]));
      var list = bars(items);
      while (limit && list.children.length > limit) list.removeChild(list.lastChild);
      container.appendChild(list);
    });
  }

  // --- the socket ---------------------------------------------------------------------------------------
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var heartbeat = null;
  var unanswered = 0;
  var noteTimer = null;
  function note(key, isBack) {
    if (!noteEl) return;
    clearTimeout(noteTimer);
    noteEl.textContent = key ? (noteEl.dataset[key] || "") : "";
    noteEl.classList.toggle("is-back", !!isBack);
    if (isBack) noteTimer = setTimeout(function () { note(null); }, 6000);
  }
  function showConnection(up) {
    if (!connEl) return;
    var wasDown = connEl.classList.contains("is-down");
    connEl.hidden = false;
    connEl.textContent = up ? (L.connected || "Live") : (L.reconnecting || "Reconnecting…");
    connEl.classList.toggle("is-down", !up);
    if (!up && !wasDown) note("down");
    else if (up && wasDown) note("back", true);
  }
  function showGone() {
    var text = L.gone || "This session no longer exists.";
    if (connEl) {
      connEl.hidden = false;
      connEl.textContent = text;
      connEl.classList.add("is-down");
    }
    if (noteEl) {
      clearTimeout(noteTimer);
      noteEl.textContent = text;
      noteEl.classList.remove("is-back");
    }
  }
  function retry() {
    attempts += 1;
    var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(attempts - 1, 5)));
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }
  // The socket is given up (network gone, no answer to pings): forget it at once, say so and try again later.
  function drop() {
    clearInterval(heartbeat);
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      try { socket.close(); } catch (e) { /* already closed */ }
      socket = null;
    }
    showConnection(false);
    retry();
  }
  function connect() {
    clearTimeout(retryTimer);
    if (socket && socket.readyState <= 1) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onopen = function () {
      var wasDown = attempts > 0 || (connEl && connEl.classList.contains("is-down"));
      attempts = 0;
      unanswered = 0;
      showConnection(true);
      if (mode === "participant") flush();
      if (token) socket.send(JSON.stringify({ type: "hello", token: token }));
      if (wasDown) resync();
      clearInterval(heartbeat);
      heartbeat = setInterval(function () {
        if (unanswered >= 2) { drop(); return; }
        unanswered += 1;
        try { socket.send(JSON.stringify({ type: "ping" })); } catch (e) { drop(); }
      }, 10000);
    };
    socket.onmessage = function (event) {
      unanswered = 0;
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "state") apply(message);
    };
    socket.onclose = function (event) {
      clearInterval(heartbeat);
      socket = null;
      if (event.code === 4404) { // the session no longer exists (deleted): say so, and do not reconnect
        showGone();
        return;
      }
      showConnection(false);
      retry();
    };
  }
  window.addEventListener("offline", function () { if (socket) drop(); });
  window.addEventListener("online", function () { attempts = 0; connect(); });
  function resync() {
    call("GET", "/state").then(function (state) { apply(state); }, function () { /* the socket retries */ });
  }
  function apply(state) {
    if (!state || typeof state.version !== "number" || state.version < shown) return;
    var newer = state.version > shown;
    shown = state.version;
    lastState = state;
    var count = $("headcount");
    if (count) count.textContent = state.participants;
    if (mode === "participant") renderParticipant(state);
    else if (mode === "projector") renderProjector(state);
    else if (mode === "console" && newer) refreshConsole();
  }

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
    if (state.phase !== phase) {
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
      if (lastState) renderVotes(lastState, true);
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
        (lastState ? lastState.items : []).forEach(function (it) { texts[it.id] = it.text; });
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
      if (lastState) renderVotes(lastState, true);
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

  // --- projector ------------------------------------------------------------------------------------------
  function renderProjector(state) {
    if (state.code && state.code !== code) { location.reload(); return; }
    if (state.phase !== phase) {
      phase = state.phase;
      $("phase-name").textContent = L.phases[phase] || phase;
      $("phase-instruction").textContent = L.instructions[phase] || "";
    }
    var locked = $("locked-note");
    if (locked) locked.hidden = !state.locked;
    var approved = state.items.filter(function (it) { return it.status === "approved"; });
    var kind = KIND_OF_PHASE[phase];
    if (!kind) kind = approved.some(function (it) { return it.kind === "proposal"; }) ? "proposal" : "challenge";
    var results = $("projector-results");
    var list = $("projector-items");
    results.hidden = !state.results_visible;
    list.hidden = !!state.results_visible;
    if (state.results_visible) {
      var bars = parseInt(root.dataset.bars || "6", 10);
      var phaseKind = KIND_OF_PHASE[phase];
      resultsInto(results, state, phaseKind ? bars : Math.floor(bars / 2), phaseKind ? [phaseKind] : null);
      return;
    }
    var items = approved.filter(function (it) { return it.kind === kind; }).slice(-parseInt(root.dataset.items || "7", 10));
    var wanted = {};
    items.forEach(function (it) { wanted[it.id] = it; });
    Array.prototype.slice.call(list.children).forEach(function (li) {
      var it = wanted[li.dataset.item];
      if (!it) list.removeChild(li);
      else if (li.textContent !== it.text) li.textContent = it.text;
    });
    items.forEach(function (it) {
      if (!list.querySelector('[data-item="' + it.id + '"]')) {
        var li = el("li", null, it.text, true);
        li.dataset.item = it.id;
        list.appendChild(li);
      }
    });
  }

  // --- console: re-read the server-rendered page and swap the live part ---------------------------------
  var refreshing = false;
  var again = false;
  function busyEditing(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && /^(TEXTAREA|SELECT|INPUT)$/.test(active.tagName)) return true;
    return Array.prototype.some.call(region.querySelectorAll("details[open] textarea"), function (area) {
      return area.value !== area.defaultValue;
    });
  }
  function refreshConsole() {
    var region = $("console-live");
    if (!region) return;
    if (refreshing || busyEditing(region)) { again = true; return; }
    refreshing = true;
    fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("console-live");
        if (fresh && !busyEditing(region)) region.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* the next change retries */ })
      .then(function () {
        setTimeout(function () {
          refreshing = false;
          if (again) { again = false; refreshConsole(); }
        }, 1000);
      });
  }
  document.addEventListener("focusout", function () {
    if (mode === "console" && again && !refreshing) setTimeout(refreshConsole, 300);
  });

  if (mode === "participant") startParticipant();
  connect();
})();
