// Draw the assistant's graph (LangGraph's Mermaid text in <pre class="mermaid">) with Mermaid.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!window.mermaid || !document.querySelector("pre.mermaid")) return;
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default" });
  window.mermaid.run({ querySelector: "pre.mermaid" }).then(function () {
    document.body.dataset.graphDrawn = "1";
  }).catch(function (err) {
    document.body.dataset.graphDrawn = "error: " + err;
  });
});
