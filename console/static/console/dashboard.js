// The console's dashboard: draws its charts (Chart.js, shipped in vendor/) from the numbers the
// page embeds, then refreshes them every 10 s from ?format=json.
(function () {
  "use strict";
  var COLORS = {
    pending: "#8c959f", running: "#1f6feb", success: "#1a7f37", error: "#cf222e",
    interrupted: "#9a6700", timeout: "#bc4c00"
  };
  var charts = {};

  function draw(id, config) {
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update("none");
      return;
    }
    var canvas = document.getElementById(id);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    charts[id] = new Chart(canvas, config);
  }

  function render(data) {
    var statuses = Object.keys(data.over_time.series);
    draw("chart-over-time", {
      type: "bar",
      data: {
        labels: data.over_time.labels,
        datasets: statuses.map(function (s) {
          return { label: s, data: data.over_time.series[s], backgroundColor: COLORS[s] || "#777" };
        })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
    var graphs = data.graphs.map(function (g) { return g.graph_id; });
    draw("chart-error-rate", {
      type: "bar",
      data: { labels: graphs, datasets: [{ label: "error rate (%)", backgroundColor: COLORS.error,
        data: data.graphs.map(function (g) { return +(100 * g.error_rate).toFixed(1); }) }] },
      options: { scales: { y: { beginAtZero: true, suggestedMax: 100 } } }
    });
    draw("chart-durations", {
      type: "bar",
      data: { labels: graphs, datasets: [
        { label: "p50 (s)", backgroundColor: "#54aeff", data: data.graphs.map(function (g) { return g.p50; }) },
        { label: "p95 (s)", backgroundColor: "#0550ae", data: data.graphs.map(function (g) { return g.p95; }) }
      ] },
      options: { scales: { y: { beginAtZero: true } } }
    });
    var tiles = { "tile-pending": data.pending, "tile-running": data.running,
      "tile-streams": data.active_streams, "tile-workers": data.live_workers };
    Object.keys(tiles).forEach(function (id) { document.getElementById(id).textContent = tiles[id]; });
    document.getElementById("dashboard-generated").textContent = data.generated_at;
    document.getElementById("console-dashboard").dataset.drawn = String(Date.now());
  }

  function refresh() {
    var url = document.getElementById("console-dashboard").dataset.jsonUrl;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data); })
      .catch(function () {});
  }

  render(JSON.parse(document.getElementById("dashboard-data").textContent));
  setInterval(refresh, 10000);
})();
