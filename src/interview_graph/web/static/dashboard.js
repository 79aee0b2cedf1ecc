// The dashboard's charts, drawn by plotly.js from the data the server put in #plots (a JSON
// data block, never executed). A click on a bar opens the sentences behind it.
"use strict";

(function () {
  function palette(index) {
    var value = getComputedStyle(document.documentElement).getPropertyValue("--c" + index);
    return value.trim() || "#4e79a7";
  }

  // plotly.js reads a few HTML-like tags and entities in labels; labels are data (speaker
  // names, keywords), so their markup characters are passed as entities and show as typed.
  function literal(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function traceOf(trace, plot) {
    var horizontal = plot.horizontal;
    return {
      type: "bar",
      name: literal(trace.name),
      orientation: horizontal ? "h" : "v",
      x: horizontal ? trace.counts : trace.labels.map(literal),
      y: horizontal ? trace.labels.map(literal) : trace.counts,
      customdata: trace.links,
      marker: { color: trace.colours.map(palette) },
      hovertemplate: horizontal
        ? "%{y}: %{x} sentences<extra>" + (plot.stacked ? "%{fullData.name}" : "") + "</extra>"
        : "%{x}: %{y} sentences<extra>" + (plot.stacked ? "%{fullData.name}" : "") + "</extra>",
    };
  }

  function layoutOf(plot) {
    var bars = plot.traces.length ? plot.traces[0].labels.length : 0;
    var counts = {
      title: { text: plot.axis_title }, rangemode: "tozero", gridcolor: "#e6e8ec", automargin: true,
    };
    var categories = { title: { text: plot.category_title }, automargin: true };
    if (plot.horizontal) categories.autorange = "reversed";
    return {
      barmode: plot.stacked ? "stack" : "group",
      height: plot.horizontal ? Math.max(220, 26 * bars + 70) : 340,
      margin: { t: plot.stacked ? 40 : 10, r: 10, b: 10, l: 10 },
      font: { family: "system-ui, sans-serif", size: 12, color: "#1d2129" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      showlegend: plot.stacked,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      xaxis: plot.horizontal ? counts : categories,
      yaxis: plot.horizontal ? categories : counts,
    };
  }

  function draw() {
    var data = document.getElementById("plots");
    if (!data || !window.Plotly) return;
    var plots = JSON.parse(data.textContent);
    var byKey = {};
    plots.forEach(function (plot) { byKey[plot.key] = plot; });
    var drawn = [];
    document.querySelectorAll("[data-plot]").forEach(function (element) {
      var plot = byKey[element.getAttribute("data-plot")];
      if (!plot) return;
      var traces = plot.traces.map(function (trace) { return traceOf(trace, plot); });
      drawn.push(
        window.Plotly.newPlot(element, traces, layoutOf(plot), {
          displayModeBar: false, responsive: true,
        }).then(function () {
          element.on("plotly_click", function (event) {
            var point = event.points && event.points[0];
            if (point && point.customdata) window.location.assign(point.customdata);
          });
        })
      );
    });
    Promise.all(drawn).then(function () {
      document.documentElement.setAttribute("data-charts", String(drawn.length));
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
