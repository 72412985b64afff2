/* Charts from data tables, and print links. Progressive enhancement: the table is the source of
 * truth and stays in the page; the chart is drawn from it only when Chart.js is there.
 *
 * Load after Chart.js, both deferred (no inline script anywhere, for the Content-Security-Policy):
 *   <script src="{% static 'vendor/chartjs/chart.umd.js' %}" defer></script>
 *   <script src="{% static 'js/charts.js' %}" defer></script>
 *
 * Markup: <figure class="chart" data-chart="bar|line|hbar" data-stacked="true|false">
 *           <figcaption>…</figcaption> <table>…</table> </figure>
 * First column: labels. Every other column: a series named by its <thead> header. A value comes from
 * data-value, else from the cell text; anything that is not a plain number ("", "—", "withheld",
 * "1,234") is a gap, never zero, so withheld figures are not drawn as if they were none.
 *
 * Texts people read come from the page, translated there: data-* attributes of this script's own
 * <script> element (data-chart-label with {caption}, data-chart-label-uncaptioned,
 * data-show-table, data-series-name with {number}). Numbers on the axes and in tooltips follow the
 * page's language (<html lang>), through Intl.NumberFormat.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  function pageText(name, values) {
    var template = (script && script.getAttribute("data-" + name)) || "";
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }
  var LANGUAGE = document.documentElement.lang || undefined;
  var numberFormat = new Intl.NumberFormat(LANGUAGE);

  // Okabe–Ito colours that keep at least 3:1 against white and against Pico's dark background; the
  // remaining Okabe–Ito hues (orange, sky blue, yellow, black) fail one of the two.
  var PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"];
  // Line series differ by marker shape too, so colour is never the only cue.
  var POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "star", "crossRot"];
  var TYPES = { bar: "bar", hbar: "bar", line: "line" };

  function cellValue(cell) {
    if (!cell) return null;
    var raw = (cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent).trim();
    // Number("") is 0, hence the explicit check.
    if (raw === "") return null;
    var n = Number(raw);
    return Number.isFinite(n) ? n : null;
  }

  function readTable(table) {
    var headRow = table.tHead && table.tHead.rows[0];
    var bodyRows = [];
    for (var b = 0; b < table.tBodies.length; b++) bodyRows.push.apply(bodyRows, table.tBodies[b].rows);
    var width = headRow ? headRow.cells.length : bodyRows.length ? bodyRows[0].cells.length : 0;
    var series = [];
    for (var col = 1; col < width; col++) {
      series.push({
        name: headRow ? headRow.cells[col].textContent.trim() : pageText("series-name", { number: numberFormat.format(col) }),
        values: bodyRows.map(function (row) { return cellValue(row.cells[col]); }),
      });
    }
    return {
      labels: bodyRows.map(function (row) { return row.cells[0] ? row.cells[0].textContent.trim() : ""; }),
      series: series,
    };
  }

  function buildConfig(figure, data) {
    var kind = TYPES[figure.dataset.chart] ? figure.dataset.chart : "bar";
    var stacked = figure.dataset.stacked === "true";
    var style = getComputedStyle(figure);
    // Take text and grid colours from the page so the chart follows Pico's light or dark scheme.
    var text = style.color;
    var grid = style.getPropertyValue("--pico-muted-border-color").trim() || "rgba(0, 0, 0, 0.15)";
    var background = style.getPropertyValue("--pico-background-color").trim() || "#fff";
    var reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

    var datasets = data.series.map(function (s, i) {
      var colour = PALETTE[i % PALETTE.length];
      var dataset = { label: s.name, data: s.values, borderColor: colour, backgroundColor: colour };
      if (kind === "line") {
        dataset.pointStyle = POINT_STYLES[i % POINT_STYLES.length];
        dataset.pointRadius = 4;
        dataset.pointHoverRadius = 6;
        dataset.borderWidth = 2;
      } else if (stacked) {
        dataset.borderColor = background; // a thin gap between stacked segments
        dataset.borderWidth = 1;
      }
      return dataset;
    });

    var axis = { stacked: stacked, grid: { color: grid }, border: { color: grid }, ticks: { color: text } };
    // Bars must start at zero or their lengths lie; a line may zoom in on its range.
    var valueAxis = Object.assign({}, axis, kind === "line" ? { grace: "5%" } : { beginAtZero: true });
    var indexAxis = kind === "hbar" ? "y" : "x";
    var config = {
      type: TYPES[kind],
      data: { labels: data.labels, datasets: datasets },
      options: {
        // Chart.js formats tick and tooltip numbers with Intl.NumberFormat in this locale.
        locale: LANGUAGE,
        indexAxis: indexAxis,
        color: text,
        // Height follows the width, up to the canvas's CSS max-height (Chart.js honours it).
        maintainAspectRatio: true,
        scales: indexAxis === "y" ? { y: axis, x: valueAxis } : { x: axis, y: valueAxis },
        plugins: {
          // A single series is named by the caption; a legend would only repeat it.
          legend: { display: datasets.length > 1, labels: { color: text, usePointStyle: kind === "line", boxHeight: kind === "line" ? 8 : undefined } },
        },
      },
    };
    if (reducedMotion) config.options.animation = false;
    return config;
  }

  function enhance(figure) {
    var table = figure.querySelector("table");
    if (!table || typeof window.Chart !== "function") return; // no chart: the table stays as it is
    var data = readTable(table);
    if (!data.labels.length || !data.series.length) return;

    // The part of the figure that holds the table (the table itself, or a wrapper around it).
    var block = table;
    while (block.parentElement !== figure) block = block.parentElement;

    var caption = figure.querySelector("figcaption");
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", caption
      ? pageText("chart-label", { caption: caption.textContent.trim() })
      : pageText("chart-label-uncaptioned"));
    figure.insertBefore(canvas, block);
    try {
      new window.Chart(canvas, buildConfig(figure, data));
    } catch (error) {
      canvas.remove();
      console.warn("charts.js: left the table as it is", error);
      return;
    }

    // Only now that the chart exists does the table fold away; it stays one click (and, for
    // screen readers, one element) away, and print shows it open.
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = pageText("show-table");
    details.appendChild(summary);
    figure.insertBefore(details, block);
    details.appendChild(block);
    figure.setAttribute("data-chart-ready", "");
  }

  function enhanceWithin(root) {
    if (!root || root.nodeType !== Node.ELEMENT_NODE) return; // htmx may settle text nodes
    var figures = Array.prototype.slice.call(root.querySelectorAll("figure.chart:not([data-chart-ready])"));
    if (root.matches("figure.chart:not([data-chart-ready])")) figures.unshift(root);
    figures.forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceWithin(document.body); });
  } else {
    enhanceWithin(document.body);
  }

  // htmx swaps: draw charts in the new content, and free the ones being removed (a polling
  // dashboard would otherwise keep every old Chart instance alive).
  document.addEventListener("htmx:afterSettle", function (event) { enhanceWithin(event.target); });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    if (event.target.tagName === "CANVAS" && window.Chart) {
      var chart = window.Chart.getChart(event.target);
      if (chart) chart.destroy();
    }
  });

  // Print: the stylesheet shows closed <details> through ::details-content; browsers without it
  // get them opened here for the print and closed again afterwards.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = Array.prototype.slice.call(document.querySelectorAll("details:not([open])"));
    openedForPrint.forEach(function (details) { details.open = true; });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (details) { details.open = false; });
    openedForPrint = [];
  });

  // Print links and buttons, delegated so that content swapped in by htmx works too.
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest && event.target.closest("[data-print], a.print-page");
    if (!trigger) return;
    event.preventDefault();
    window.print();
  });
})();
