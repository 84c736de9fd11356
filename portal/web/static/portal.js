/*
 * The portal's own script. The content security policy allows scripts only
 * from files like this one: pages hand data over in <script type="application/json">
 * elements (Django's json_script) and data- attributes, never inline code.
 *
 * - Charts: every element with data-chart="ID" is drawn with uPlot from the
 *   JSON in the element with id ID (see portal/web/charts.py for its shape).
 *   They are drawn on load and again whenever HTMX swaps new content in.
 * - HTMX: htmx's own settings are in the htmx-config meta tag of the base
 *   template; here a failed request is announced instead of failing silently.
 */
(function () {
  "use strict";

  var COLOURS = ["#0172ad", "#d93526", "#398712", "#c26e00", "#8352c5"];
  var HEIGHT = 240;
  var drawn = [];

  function chartData(element) {
    var source = document.getElementById(element.dataset.chart);
    return source ? JSON.parse(source.textContent) : null;
  }

  function formatter(unit, below) {
    return function (u, value) {
      if (value == null) return "—";
      var shown = below ? -value : value;
      var text = shown.toLocaleString(undefined, { maximumFractionDigits: 3 });
      return unit ? text + " " + unit : text;
    };
  }

  function seriesOptions(chart) {
    var bars = chart.kind === "bars";
    var options = [{}];
    chart.series.forEach(function (line, index) {
      var colour = COLOURS[index % COLOURS.length];
      options.push({
        label: line.label,
        stroke: colour,
        width: bars ? 0 : 1.5,
        fill: bars ? colour + "b0" : undefined,
        paths: bars ? uPlot.paths.bars({ size: [0.9, 64], align: 1 }) : undefined,
        points: { show: false },
        value: formatter(chart.unit, line.below),
      });
    });
    return options;
  }

  function plotData(chart) {
    var data = [chart.x];
    chart.series.forEach(function (line) {
      data.push(
        line.below
          ? line.values.map(function (v) { return v == null ? null : -v; })
          : line.values
      );
    });
    return data;
  }

  function draw(element) {
    var chart = chartData(element);
    if (!chart || typeof uPlot === "undefined") return;

    var options = {
      width: element.clientWidth || 320,
      height: HEIGHT,
      // Times on the axis in the site's zone, whatever the browser's is.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), chart.tz); },
      series: seriesOptions(chart),
      axes: [
        {},
        {
          size: 56,
          values: function (u, ticks) {
            return ticks.map(function (v) { return Math.abs(v).toLocaleString(); });
          },
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    var plot = new uPlot(options, plotData(chart), element);

    var observer = new ResizeObserver(function () {
      plot.setSize({ width: element.clientWidth, height: HEIGHT });
    });
    observer.observe(element);
    element.dataset.drawn = "true";
    drawn.push({ element: element, plot: plot, observer: observer });
  }

  function forgetRemoved() {
    drawn = drawn.filter(function (entry) {
      if (entry.element.isConnected) return true;
      entry.observer.disconnect();
      entry.plot.destroy();
      return false;
    });
  }

  function drawCharts(root) {
    forgetRemoved();
    (root || document).querySelectorAll("[data-chart]:not([data-drawn])").forEach(draw);
  }

  function selectOnFocus(root) {
    (root || document).querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  function announceFailure() {
    var main = document.querySelector("main");
    if (!main || main.querySelector(".portal-offline")) return;
    var note = document.createElement("p");
    note.className = "portal-offline";
    note.setAttribute("role", "alert");
    note.textContent = "The portal did not answer. The page shows what it had; reload to try again.";
    main.prepend(note);
  }

  function start(root) {
    drawCharts(root);
    selectOnFocus(root);
  }

  start(document);
  // htmx 4 names its events htmx:after:process and htmx:error; htmx 2 used
  // htmx:load and htmx:sendError. Listening to both keeps this file working
  // across an upgrade of the vendored copy.
  document.addEventListener("htmx:after:process", function (event) { start(event.target); });
  document.addEventListener("htmx:load", function (event) { start(event.target); });
  document.addEventListener("htmx:error", announceFailure);
  document.addEventListener("htmx:sendError", announceFailure);
})();
