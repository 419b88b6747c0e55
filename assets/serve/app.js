// shipgate serve: the dashboard's behaviour. Served as a file (the CSP allows no inline script);
// it reads what it needs from data- attributes and fetches the JSON API. Text from the store is
// only ever set with textContent, never as HTML.
'use strict';

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function chart(root, title, xs, series, opts) {
  var box = el('div', 'chart');
  box.appendChild(el('h3', '', title));
  root.appendChild(box);
  var width = Math.max(320, Math.min(1300, root.clientWidth || 900));
  var cfg = {
    width: width,
    height: 200,
    series: [{}].concat(series.map(function (s) {
      return { label: s.label, stroke: s.stroke, width: s.width || 1.5, dash: s.dash, points: { show: s.points !== false } };
    })),
    axes: [{}, { size: 60 }],
    scales: Object.assign({ x: { time: true } }, (opts && opts.scales) || {}),
  };
  new uPlot(cfg, [xs].concat(series.map(function (s) { return s.values; })), box);
}

function trends(root) {
  fetch(root.getAttribute('data-api'), { credentials: 'same-origin' })
    .then(function (r) { return r.json(); })
    .then(function (v) {
      if (!v.runs || v.runs.length === 0 || typeof uPlot === 'undefined') return;
      var xs = v.runs.map(function (r) { return Math.floor(Date.parse(r.startedAt) / 1000); });
      chart(root, 'Decision (1 READY, 0 BLOCKED)', xs, [{ label: 'READY', stroke: '#2e7d32', values: v.runs.map(function (r) { return r.result === 'READY' ? 1 : r.result === 'BLOCKED' ? 0 : null; }) }], { scales: { y: { range: [-0.1, 1.1] } } });
      chart(root, 'Run duration (s)', xs, [{ label: 'duration', stroke: '#4a6fa5', values: v.runs.map(function (r) { return r.durationMs === null ? null : r.durationMs / 1000; }) }]);
      var gates = {};
      v.runs.forEach(function (r) { r.gateDurations.forEach(function (g) { gates[g.gate] = true; }); });
      var palette = ['#4a6fa5', '#c0392b', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#7f8c8d', '#2c3e50'];
      var names = Object.keys(gates).sort();
      if (names.length) {
        chart(root, 'Gate duration (s)', xs, names.map(function (g, i) {
          return { label: g, stroke: palette[i % palette.length], values: v.runs.map(function (r) { var x = r.gateDurations.find(function (d) { return d.gate === g; }); return x ? x.durationMs / 1000 : null; }) };
        }));
      }
      chart(root, 'Tests and pass rate', xs, [
        { label: 'tests', stroke: '#4a6fa5', values: v.runs.map(function (r) { return r.tests ? r.tests.total : null; }) },
        { label: 'pass rate %', stroke: '#2e7d32', values: v.runs.map(function (r) { var n = r.tests ? r.tests.total - r.tests.skipped : 0; return n > 0 ? (100 * r.tests.passed) / n : null; }) },
      ]);
      v.metrics.forEach(function (m) {
        var at = {};
        m.points.forEach(function (p) { at[p.runId] = p.value; });
        var values = v.runs.map(function (r) { return r.id in at ? at[r.id] : null; });
        var series = [{ label: m.key, stroke: '#4a6fa5', values: values }];
        if (m.band) {
          var lo = m.band.median - 2 * m.band.spread, hi = m.band.median + 2 * m.band.spread;
          series.push({ label: 'median', stroke: '#999', points: false, values: xs.map(function () { return m.band.median; }) });
          series.push({ label: 'band low', stroke: '#ccc', dash: [4, 4], points: false, values: xs.map(function () { return lo; }) });
          series.push({ label: 'band high', stroke: '#ccc', dash: [4, 4], points: false, values: xs.map(function () { return hi; }) });
        }
        chart(root, m.key + (m.unit ? ' (' + m.unit + ')' : ''), xs, series);
      });
      root.setAttribute('data-ready', '1');
    })
    .catch(function (e) {
      root.appendChild(el('p', 'error', 'Charts could not load: ' + String(e && e.message)));
    });
}

document.addEventListener('DOMContentLoaded', function () {
  var c = document.getElementById('charts');
  if (c) trends(c);
});
