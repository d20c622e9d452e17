// The PHQ-9 and GAD-7 trend, drawn with the vendored Chart.js from the page's JSON block (#trend-data):
// real dates on a time axis read in the location's zone and locale, scores joined in time order, and the
// PHQ-9 remission and response levels as dashed lines labelled apart. The table under the chart holds the
// same numbers for readers without script or with a screen reader.
(function () {
  "use strict";

  const COLORS = { phq9: "#1c3f8a", gad7: "#b45309", remission: "#1d5b2c", response: "#8a5a00" };
  const DASHES = { remission: [6, 4], response: [2, 3] };
  const LEGEND_DASHES = { remission: [4, 2], response: [1.5, 2] };
  const DAY = 24 * 60 * 60 * 1000;
  const LABEL_HEIGHT = 16;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (match, key) {
      return key in values ? values[key] : match;
    });
  }

  function guidesOf(data) {
    const number = new Intl.NumberFormat(data.locale, { maximumFractionDigits: 1 });
    const guides = [{ key: "remission", value: data.remission }];
    if (data.response !== null && data.response !== undefined) {
      guides.push({ key: "response", value: data.response });
    }
    return guides.map(function (guide) {
      const words = { value: number.format(guide.value), baseline: number.format(data.baseline) };
      return {
        key: guide.key,
        value: guide.value,
        hidden: false,
        label: fill(data.labels[guide.key], words),
        short: fill(data.labels[guide.key + "_short"], words),
      };
    });
  }

  function pointsOf(chart) {
    const points = [];
    chart.data.datasets.forEach(function (set, index) {
      if (chart.isDatasetVisible(index)) {
        chart.getDatasetMeta(index).data.forEach(function (point) {
          points.push({ x: point.x, y: point.y });
        });
      }
    });
    return points;
  }

  function covers(points, left, top, width) {
    const margin = 7;
    return points.some(function (point) {
      return (
        point.x > left - margin &&
        point.x < left + width + margin &&
        point.y > top - margin &&
        point.y < top + LABEL_HEIGHT + margin
      );
    });
  }

  // Each level is a dashed line across the plot with a short label at its right end. Labels are placed
  // from the top down, each above its line unless that would touch the label before it (or leave the
  // plot), then below its line: two levels close together, or equal, still get two readable labels.
  const guidePlugin = {
    id: "clinicGuides",
    afterDatasetsDraw: function (chart, args, options) {
      const area = chart.chartArea;
      const scale = chart.scales.y;
      const ctx = chart.ctx;
      const placed = options.guides
        .filter(function (guide) {
          return !guide.hidden;
        })
        .map(function (guide) {
          return { guide: guide, y: scale.getPixelForValue(guide.value) };
        })
        .sort(function (a, b) {
          return a.y - b.y;
        });
      const boxes = [];
      let previousBottom = -Infinity;
      ctx.save();
      ctx.font = "12px " + Chart.defaults.font.family;
      ctx.textBaseline = "top";
      ctx.textAlign = "left";
      placed.forEach(function (entry) {
        ctx.strokeStyle = COLORS[entry.guide.key];
        ctx.lineWidth = 1.5;
        ctx.setLineDash(DASHES[entry.guide.key]);
        ctx.beginPath();
        ctx.moveTo(area.left, entry.y);
        ctx.lineTo(area.right, entry.y);
        ctx.stroke();
      });
      ctx.setLineDash([]);
      const points = pointsOf(chart);
      placed.forEach(function (entry) {
        const width = ctx.measureText(entry.guide.short).width + 8;
        let top = entry.y - LABEL_HEIGHT - 2;
        if (top < area.top || top < previousBottom + 2) {
          top = Math.max(entry.y + 2, previousBottom + 2);
        }
        // At the right end unless a score is drawn there, then at the left end if that end is clear.
        let left = area.right - width;
        if (covers(points, left, top, width) && !covers(points, area.left, top, width)) {
          left = area.left;
        }
        const box = { key: entry.guide.key, left: left, top: top, width: width, height: LABEL_HEIGHT };
        ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
        ctx.fillRect(box.left, box.top, box.width, box.height);
        ctx.fillStyle = COLORS[entry.guide.key];
        ctx.fillText(entry.guide.short, box.left + 4, box.top + 2);
        boxes.push(box);
        previousBottom = top + LABEL_HEIGHT;
      });
      ctx.restore();
      // Where the labels went, for whoever checks that they stay apart.
      chart.$guideLabels = boxes;
    },
  };

  function legendItems(chart, guides) {
    const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
    guides.forEach(function (guide) {
      items.push({
        text: guide.label,
        fillStyle: "rgba(0, 0, 0, 0)",
        strokeStyle: COLORS[guide.key],
        fontColor: Chart.defaults.color,
        lineDash: LEGEND_DASHES[guide.key],
        lineWidth: 2,
        pointStyle: "line",
        hidden: guide.hidden,
        guide: guide,
      });
    });
    return items;
  }

  function dataset(key, data) {
    return {
      label: data.labels[key],
      data: data[key],
      borderColor: COLORS[key],
      backgroundColor: COLORS[key],
      borderWidth: 2,
      pointStyle: key === "phq9" ? "circle" : "rectRot",
      pointRadius: key === "phq9" ? 4 : 5,
      pointHoverRadius: 7,
      fill: false,
      tension: 0,
    };
  }

  function range(data) {
    const times = data.phq9.concat(data.gad7).map(function (point) {
      return Date.parse(point.x);
    });
    const first = Math.min.apply(null, times);
    const last = Math.max.apply(null, times);
    // A little room on both sides, and at least a day, so a single score is not drawn on the edge.
    const pad = Math.max((last - first) * 0.04, DAY / 2);
    return { min: first - pad, max: last + pad };
  }

  function draw(figure, data) {
    const canvas = figure.querySelector("canvas");
    const guides = guidesOf(data);
    const bounds = range(data);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#374151";
    figure.hidden = false;
    const datasets = [dataset("phq9", data)];
    if (data.gad7.length) {
      datasets.push(dataset("gad7", data));
    }
    return new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      plugins: [guidePlugin],
      options: {
        locale: data.locale,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: {
            type: "time",
            min: bounds.min,
            max: bounds.max,
            adapters: { date: { zone: data.zone, locale: data.locale } },
            time: {
              minUnit: "day",
              tooltipFormat: { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" },
            },
            ticks: { maxRotation: 0, autoSkipPadding: 16 },
          },
          y: {
            min: 0,
            max: data.max,
            ticks: { stepSize: 3 },
            title: { display: true, text: data.labels.axis },
          },
        },
        plugins: {
          clinicGuides: { guides: guides },
          legend: {
            position: "bottom",
            labels: {
              usePointStyle: true,
              boxHeight: 7,
              generateLabels: function (chart) {
                return legendItems(chart, guides);
              },
            },
            onClick: function (event, item, legend) {
              if (item.guide) {
                item.guide.hidden = !item.guide.hidden;
                legend.chart.update();
                return;
              }
              Chart.defaults.plugins.legend.onClick.call(this, event, item, legend);
            },
          },
        },
      },
    });
  }

  function start() {
    const figure = document.querySelector("[data-trend-chart]");
    const source = document.getElementById("trend-data");
    if (!figure || !source || typeof Chart === "undefined") {
      return;
    }
    draw(figure, JSON.parse(source.textContent));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
