// Draw every chart on the page from its JSON data block. The numbers are also in a table next
// to each chart, so a page whose scripts are blocked still says everything.
(function () {
  "use strict";
  if (typeof Plotly === "undefined") { return; }
  document.querySelectorAll("script.chart-data[type='application/json']").forEach(function (block) {
    var target = document.getElementById(block.dataset.target);
    if (!target) { return; }
    var figure = JSON.parse(block.textContent);
    Plotly.newPlot(target, figure.data, figure.layout, {
      responsive: true, displaylogo: false, displayModeBar: false
    });
    target.classList.add("chart-drawn");
  });
}());
