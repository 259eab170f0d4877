/* Evaluation results: one bar chart per instrument (mean change since pre, per side and
   wave) with 95 % interval whiskers. Data comes from the page's json_script element;
   the same numbers are in the tables below each chart, so nothing depends on this file. */
(function () {
  "use strict";

  var COLORS = ["#1b4f8a", "#b7791f", "#1e6b3a", "#8e3b8e", "#4f5b66"];  // colour-blind-safe order

  // Draws each bar's interval as a whisker: a vertical line with short caps.
  var whiskers = {
    id: "parleyWhiskers",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var y = chart.scales.y;
      chart.data.datasets.forEach(function (dataset, index) {
        var meta = chart.getDatasetMeta(index);
        if (meta.hidden) { return; }
        meta.data.forEach(function (bar, i) {
          var low = dataset.low[i], high = dataset.high[i];
          if (low === null || high === null || low === undefined) { return; }
          var x = bar.x, top = y.getPixelForValue(high), bottom = y.getPixelForValue(low);
          var cap = Math.min(8, bar.width / 3);
          ctx.save();
          ctx.strokeStyle = "#1f2730";
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(x, top); ctx.lineTo(x, bottom);
          ctx.moveTo(x - cap, top); ctx.lineTo(x + cap, top);
          ctx.moveTo(x - cap, bottom); ctx.lineTo(x + cap, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };

  // The axis must hold the whiskers too, not only the bars (and always 0).
  function bounds(spec) {
    var values = [0];
    spec.sides.forEach(function (side) {
      values = values.concat(side.low, side.high).filter(function (v) {
        return v !== null && v !== undefined;
      });
    });
    return { min: Math.min.apply(null, values), max: Math.max.apply(null, values) };
  }

  function draw(canvas, spec) {
    var intervalLabel = canvas.getAttribute("data-interval-label") || "{low} … {high} (n = {n})";
    var range = bounds(spec);
    var datasets = spec.sides.map(function (side, index) {
      return {
        label: side.name, data: side.mean, low: side.low, high: side.high, n: side.n,
        backgroundColor: COLORS[index % COLORS.length], borderColor: COLORS[index % COLORS.length]
      };
    });
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.waves, datasets: datasets },
      plugins: [whiskers],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          y: {
            suggestedMin: range.min,
            suggestedMax: range.max,
            title: { display: true, text: canvas.getAttribute("data-axis-label") || "" },
            grid: { color: function (c) { return c.tick.value === 0 ? "#1f2730" : "#e3e6e9"; } }
          }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              afterLabel: function (item) {
                var d = item.dataset, i = item.dataIndex;
                if (d.low[i] === null) { return ""; }
                // The sentence comes translated from the page (data-interval-label).
                return intervalLabel.replace("{low}", d.low[i]).replace("{high}", d.high[i])
                  .replace("{n}", d.n[i]);
              }
            }
          }
        }
      }
    });
  }

  function init() {
    var source = document.getElementById("evaluation-charts");
    if (!source || !window.Chart) { return; }
    var specs = JSON.parse(source.textContent);
    var charts = [];
    document.querySelectorAll("canvas.evaluation-chart").forEach(function (canvas) {
      var spec = specs[Number(canvas.getAttribute("data-chart-index"))];
      if (spec) {
        var chart = draw(canvas, spec);
        charts.push(chart);
        canvas.setAttribute("data-drawn", "true");
      }
    });
    // Printing: redraw at the paper's width, then back.
    window.addEventListener("beforeprint", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    window.addEventListener("afterprint", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
