// The runs list reloads itself while it shows a pending or running run, unless the operator is busy
// with it (a row selected, an action chosen, the search box focused).
(function () {
  "use strict";
  var script = document.currentScript;
  var seconds = parseFloat((script && script.dataset.refreshSeconds) || "5");
  function active() {
    var cells = document.querySelectorAll("#result_list td.field-status_display");
    return Array.prototype.some.call(cells, function (td) {
      var text = td.textContent.trim();
      return text === "pending" || text === "running";
    });
  }
  function busy() {
    if (document.querySelector("#result_list input.action-select:checked")) return true;
    var action = document.querySelector("select[name=action]");
    if (action && action.value) return true;
    var focused = document.activeElement;
    return !!focused && (focused.tagName === "INPUT" || focused.tagName === "SELECT" || focused.tagName === "TEXTAREA");
  }
  if (!active()) return;
  var note = document.createElement("p");
  note.className = "help";
  note.id = "runs-auto-refresh";
  note.textContent = "Active runs shown: this list refreshes every " + seconds + " s.";
  var list = document.getElementById("changelist");
  if (list) list.parentNode.insertBefore(note, list);
  setInterval(function () { if (!busy()) window.location.reload(); }, seconds * 1000);
})();
