// mofan: dashboard charts (reports/dashboard.html, reports/unit_view.html), loaded only there.
//
// A container marked data-chart-src names the JSON endpoint; each element inside it marked
// data-chart="<dataset>" data-kind="<kind>" becomes an ECharts chart (vendored, SVG renderer so
// that it prints crisply). Labels come from data-* attributes written by the template (gettext),
// so nothing user-facing is spelled here. No inline script or style anywhere (strict CSP); the
// tooltips are drawn inside the SVG (renderMode "richText"), never as HTML.
// Without JavaScript, or when loading fails, the page keeps its data tables.
(function () {
  "use strict";

  var COLORS = ["#1565c0", "#2e7d32", "#f9a825", "#6a1b9a", "#00838f", "#ad1457", "#4e342e"];
  var STATE_COLORS = {
    not_started: "#90a4ae",
    in_progress: "#42a5f5",
    submitted: "#1565c0",
    returned: "#ef6c00",
    reviewed: "#6a1b9a",
    approved: "#2e7d32",
    open: "#ef6c00",
    measures_submitted: "#fbc02d",
    reported_done: "#6a1b9a",
    closed: "#2e7d32"
  };
  var OVERDUE = "#b3261e";
  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  var charts = [];

  function text(el, name, fallback) {
    var value = el.getAttribute("data-" + name);
    return value === null ? (fallback || "") : value;
  }

  function fill(template, n) {
    return template.replace("{n}", String(n));
  }

  function base() {
    return {
      animation: false,
      color: COLORS,
      textStyle: { fontFamily: FONT },
      aria: { enabled: true },
      tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true }
    };
  }

  function merge(target, extra) {
    Object.keys(extra).forEach(function (key) { target[key] = extra[key]; });
    return target;
  }

  function categoryAxis(labels) {
    return { type: "category", data: labels, axisTick: { alignWithLabel: true },
      axisLabel: { interval: 0, hideOverlap: true } };
  }

  function colored(values, keys) {
    if (!keys) { return values; }
    return values.map(function (v, i) {
      return { value: v, itemStyle: { color: STATE_COLORS[keys[i]] || COLORS[0] } };
    });
  }

  var KINDS = {
    // Counts per category (progress by state, score bins, grades).
    bar: function (el, d) {
      return merge(base(), {
        xAxis: categoryAxis(d.labels),
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", name: text(el, "series"), data: colored(d.values, d.keys),
          label: { show: true, position: "top" }, barMaxWidth: 48 }]
      });
    },
    // Days to each deadline: bars right (still open) or left (passed, in red).
    deadline: function (el, d) {
      var left = text(el, "left", "{n}"), passed = text(el, "passed", "-{n}");
      var today = text(el, "today", "0");
      return merge(base(), {
        grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: merge(categoryAxis(d.labels), { inverse: true }),
        series: [{
          type: "bar", barMaxWidth: 28,
          data: d.values.map(function (v) {
            return { value: v, itemStyle: { color: v < 0 ? OVERDUE : COLORS[0] } };
          }),
          label: { show: true, position: "right", formatter: function (p) {
            return p.value < 0 ? fill(passed, -p.value) : (p.value === 0 ? today : fill(left, p.value));
          } }
        }]
      });
    },
    // Mean per type against the type's full points.
    target: function (el, d) {
      return merge(base(), {
        legend: { top: 0, data: [text(el, "max"), text(el, "series")] },
        xAxis: categoryAxis(d.labels),
        yAxis: { type: "value" },
        series: [
          { type: "bar", name: text(el, "max"), data: d.max, barMaxWidth: 48,
            itemStyle: { color: "#e3e8ee" }, barGap: "-100%", silent: true },
          { type: "bar", name: text(el, "series"), data: d.values, barMaxWidth: 48,
            label: { show: true, position: "top" } }
        ]
      });
    },
    // Problem items by state, and how many of the unclosed are overdue.
    items: function (el, d) {
      var labels = d.labels.concat([text(el, "overdue")]);
      var values = colored(d.values, d.keys).concat([
        { value: d.overdue, itemStyle: { color: OVERDUE } }]);
      return merge(base(), {
        xAxis: categoryAxis(labels),
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", name: text(el, "series"), data: values, barMaxWidth: 48,
          label: { show: true, position: "top" } }]
      });
    },
    // The unit's score per type against the campaign mean: a radar from three types up,
    // side-by-side bars below that (a radar of two axes is a line).
    radar: function (el, d) {
      if (d.indicators.length < 3) {
        return merge(base(), {
          legend: { top: 0, data: [d.unit_label, d.mean_label] },
          xAxis: categoryAxis(d.indicators.map(function (i) { return i.name; })),
          yAxis: { type: "value" },
          series: [
            { type: "bar", name: d.unit_label, data: d.unit, barMaxWidth: 40,
              label: { show: true, position: "top" } },
            { type: "bar", name: d.mean_label, data: d.mean, barMaxWidth: 40,
              itemStyle: { color: "#90a4ae" }, label: { show: true, position: "top" } }
          ]
        });
      }
      return merge(base(), {
        tooltip: { trigger: "item", renderMode: "richText" },
        legend: { bottom: 0, data: [d.unit_label, d.mean_label] },
        radar: { indicator: d.indicators, radius: "62%", center: ["50%", "48%"],
          axisName: { color: "#333" } },
        series: [{
          type: "radar",
          data: [
            { name: d.unit_label, value: d.unit, areaStyle: { opacity: 0.2 } },
            { name: d.mean_label, value: d.mean, lineStyle: { type: "dashed" } }
          ]
        }]
      });
    },
    // The unit's composite score over the years.
    line: function (el, d) {
      return merge(base(), {
        xAxis: { type: "category", data: d.labels, boundaryGap: true },
        yAxis: { type: "value", scale: true },
        series: [{ type: "line", name: text(el, "series"), data: d.values, connectNulls: true,
          symbolSize: 8, label: { show: true, position: "top" } }]
      });
    },
    // Score ratio in percent, lowest first (the weakest indicators).
    percent: function (el, d) {
      return merge(base(), {
        grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", min: 0, max: 100 },
        yAxis: merge(categoryAxis(d.labels), { inverse: true,
          axisLabel: { width: 160, overflow: "truncate" } }),
        series: [{ type: "bar", name: text(el, "series"), data: d.values, barMaxWidth: 24,
          itemStyle: { color: "#ef6c00" },
          label: { show: true, position: "right", formatter: "{c}%" } }]
      });
    }
  };

  function showEmpty(el, message) {
    el.textContent = message;
    el.classList.add("chart-empty");
    el.removeAttribute("role");
  }

  function draw(el, data) {
    var builder = KINDS[el.getAttribute("data-kind")];
    if (!data || data.empty || !builder) {
      showEmpty(el, text(el, "empty"));
      return;
    }
    el.classList.add("chart-ready"); // gives the box its height before ECharts measures it
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(builder(el, data));
    charts.push(chart);
    // The chart says it now; the numbers stay one click away (and in print without charts).
    var card = el.parentNode;
    var table = card && card.querySelector("details.chart-data");
    if (table) { table.open = false; }
  }

  function failed(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      el.classList.add("chart-failed");
    });
  }

  function load(root) {
    if (!window.echarts || !window.fetch) { return; }
    window.fetch(root.getAttribute("data-chart-src"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      root.querySelectorAll("[data-chart]").forEach(function (el) {
        draw(el, data[el.getAttribute("data-chart")]);
      });
      root.setAttribute("data-charts", "ready");
    }).catch(function () {
      failed(root);
      root.setAttribute("data-charts", "failed");
    });
  }

  function resizeAll() {
    charts.forEach(function (chart) { chart.resize(); });
  }

  var pending = null;
  function resizeSoon() {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(resizeAll, 150);
  }

  function init() {
    charts.forEach(function (chart) { chart.dispose(); });
    charts = [];
    document.querySelectorAll("[data-chart-src]").forEach(load);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.onclick = function () { window.print(); };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init();
    // Back after sorting the unit table (htmx): the page comes back from the server
    // (hx-history="false": no copy of it is kept in the browser), so draw the charts again.
    document.body.addEventListener("htmx:historyRestore", init);
    window.addEventListener("resize", resizeSoon);
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      if (print.addEventListener) { print.addEventListener("change", resizeAll); }
    }
  });
})();
