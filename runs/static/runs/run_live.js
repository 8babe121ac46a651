// A run's admin page: event rows (filter by type, jump to error, newest/oldest first, expand all)
// and, while the run is active, its events added in place as they happen. The events come from the
// server's own SSE join stream, GET /threads/{thread}/runs/{run}/stream, resumed after the last
// event shown (Last-Event-ID), read with fetch() so that every event name arrives (EventSource only
// delivers the names it was told about). X-Agentserver-Console marks the requests as the console's:
// with auth on, the API accepts the admin's staff session for them (apiauth.sessions).
(function () {
  "use strict";
  var box = document.getElementById("run-events");
  if (!box) return;
  var list = document.getElementById("run-event-list");
  var filter = document.getElementById("run-event-filter");
  var state = document.getElementById("run-live-state");
  var lastSeq = parseInt(box.dataset.lastSeq || "0", 10);
  var startedAt = Date.parse(box.dataset.startedAt || "") || Date.now();
  var count = document.getElementById("run-event-count");

  function kindOf(name) { return name.split("|")[0].split("/")[0]; }

  function applyFilter(item) {
    var wanted = filter.value;
    item.hidden = !!wanted && item.dataset.kind !== wanted;
  }

  filter.addEventListener("change", function () {
    Array.prototype.forEach.call(list.children, applyFilter);
  });

  document.getElementById("run-order-toggle").addEventListener("click", function () {
    var newest = list.classList.toggle("newest-first");
    this.dataset.order = newest ? "newest" : "oldest";
    this.textContent = newest ? "newest first" : "oldest first";
  });

  document.getElementById("run-expand-all").addEventListener("click", function () {
    var open = this.dataset.open !== "1";
    this.dataset.open = open ? "1" : "0";
    this.textContent = open ? "collapse all" : "expand all";
    Array.prototype.forEach.call(list.querySelectorAll("details"), function (d) { d.open = open; });
  });

  document.getElementById("run-jump-error").addEventListener("click", function () {
    var item = list.querySelector("li.ev-error");
    var top = document.getElementById("run-error-top");
    var target = item || (top && !top.hidden ? top : null);
    if (!target) {
      this.textContent = "no error";
      var button = this;
      setTimeout(function () { button.textContent = "jump to error"; }, 1500);
      return;
    }
    if (item) {
      item.hidden = false;
      item.querySelector("details").open = true;
    }
    target.scrollIntoView({ block: "center" });
  });

  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  function compact(text) {
    var out;
    try { out = JSON.stringify(JSON.parse(text)); } catch (e) { out = text; }
    return out.length > 300 ? out.slice(0, 299) + "…" : out;
  }

  function addKindOption(kind) {
    for (var i = 0; i < filter.options.length; i++) if (filter.options[i].value === kind) return;
    var option = document.createElement("option");
    option.value = option.textContent = kind;
    filter.appendChild(option);
  }

  function span(cls, text) {
    var el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function showError(data) {
    var top = document.getElementById("run-error-top");
    if (!top) return;
    var value = {};
    try { value = JSON.parse(data); } catch (e) { value = { message: data }; }
    top.querySelector("h2").textContent = (value.error || "Error") + ": " + (value.message || "");
    top.querySelector("pre").textContent = "(reload the page for the traceback)";
    top.hidden = false;
  }

  function addEvent(seq, name, data) {
    if (seq <= lastSeq) return;
    lastSeq = seq;
    var kind = kindOf(name);
    var item = document.createElement("li");
    item.className = "run-event ev-new" + (kind === "error" ? " ev-error" : "");
    item.dataset.seq = String(seq);
    item.dataset.kind = kind;
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.appendChild(span("ev-seq", String(seq)));
    summary.appendChild(span("ev-name", name));
    summary.appendChild(span("ev-time", "+" + ((Date.now() - startedAt) / 1000).toFixed(3) + " s"));
    summary.appendChild(span("ev-summary", compact(data)));
    var body = document.createElement("pre");
    body.textContent = pretty(data);
    details.appendChild(summary);
    details.appendChild(body);
    item.appendChild(details);
    list.appendChild(item);
    addKindOption(kind);
    applyFilter(item);
    count.textContent = String(parseInt(count.textContent, 10) + 1);
    document.getElementById("run-no-events").hidden = true;
    if (kind === "error") showError(data);
  }

  function handleFrame(frame) {
    var name = "message", data = [], id = null;
    frame.split(/\r?\n/).forEach(function (line) {
      if (!line || line.charAt(0) === ":") return;
      var colon = line.indexOf(":");
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = parseInt(value, 10);
    });
    if (id !== null && !isNaN(id)) addEvent(id, name, data.join("\n"));
  }

  function finished() {
    fetch(box.dataset.runUrl, { credentials: "same-origin", headers: { Accept: "application/json", "X-Agentserver-Console": "1" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        var status = run ? run.status : "finished";
        state.textContent = "finished (" + status + "): reload for the output";
        state.classList.remove("live");
        box.dataset.finished = status;
        Array.prototype.forEach.call(document.querySelectorAll("li.run-cancel"), function (li) { li.hidden = true; });
        var field = document.querySelector(".field-status_display .readonly");
        if (field) field.textContent = status;
      })
      .catch(function () { state.textContent = "finished: reload for the outcome"; });
  }

  function follow(attempt) {
    var decoder = new TextDecoder();
    var buffer = "";
    fetch(box.dataset.streamUrl, {
      credentials: "same-origin",
      headers: { Accept: "text/event-stream", "Last-Event-ID": String(lastSeq), "X-Agentserver-Console": "1" }
    }).then(function (response) {
      if (!response.ok || !response.body) throw new Error("stream answered " + response.status);
      state.textContent = "live: following the run's stream";
      var reader = response.body.getReader();
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return finished();
          buffer += decoder.decode(chunk.value, { stream: true });
          var parts = buffer.split(/\r?\n\r?\n/);
          buffer = parts.pop();
          parts.forEach(handleFrame);
          return pump();
        });
      }
      return pump();
    }).catch(function (err) {
      if (attempt >= 30) { state.textContent = "lost the stream (" + err.message + "): reload the page"; return; }
      state.textContent = "reconnecting…";
      setTimeout(function () { follow(attempt + 1); }, 1000);
    });
  }

  if (box.dataset.live === "1") follow(0);
})();
