/**
 * The browser side of report.html: plain ES2017 with no imports, inlined as text. It reads the
 * chart specs from the JSON data element and draws them with uPlot; all numbers were computed
 * server-side, so this script only maps specs to uPlot options.
 * Kept as a string (not a function's toString()) so that no transpiler helper can leak into it.
 */
export const CLIENT_JS = String.raw`(function () {
  'use strict';
  var t0 = performance.now();
  var dataEl = document.getElementById('sb-data');
  var data = JSON.parse(dataEl.textContent);
  var plots = [];
  var PCT_LABELS = ['0%', '90%', '99%', '99.9%', '99.99%'];
  var FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  var LABEL_FONT = '600 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  function group(s) { return s.replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function fmt(v) {
    if (v == null || !isFinite(v)) return '\u2014';
    var a = Math.abs(v);
    if (Number.isInteger(v)) return (v < 0 ? '-' : '') + group(String(a));
    var d = a < 1 ? 3 : a < 10 ? 2 : a < 100 ? 1 : 0;
    var s = a.toFixed(d).split('.');
    return (v < 0 ? '-' : '') + group(s[0]) + (s[1] ? '.' + s[1] : '');
  }
  function compact(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return +(v / 1e3).toFixed(1) + 'k';
    return fmt(v);
  }
  function clock(sec) {
    sec = Math.round(sec);
    var m = Math.floor(sec / 60), r = sec - m * 60;
    return m + ':' + (r < 10 ? '0' : '') + r;
  }
  function pctOf(x) {
    var p = 100 * (1 - Math.pow(10, -x));
    var s = p >= 99.9 ? p.toFixed(3) : p >= 99 ? p.toFixed(2) : p.toFixed(1);
    return s.replace(/\.?0+$/, '') + '%';
  }
  function zeroBased(u, lo, hi) {
    return uPlot.rangeNum(0, hi > 0 ? hi : 1, 0.1, true);
  }
  // uPlot's log axis ticks every 1..9 × 10^k; labels and grid at 1, 2, 5 × 10^k (or only the
  // decades when the range spans many) read better.
  function logSplits(u, axisIdx, min, max) {
    var lo = Math.floor(Math.log10(min)), hi = Math.ceil(Math.log10(max));
    var steps = hi - lo > 3 ? [1] : [1, 2, 5];
    var out = [];
    for (var d = lo; d <= hi; d++) {
      for (var i = 0; i < steps.length; i++) {
        var v = +(steps[i] * Math.pow(10, d)).toPrecision(6);
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      }
    }
    return out;
  }
  // Whole-number steps for count axes: uPlot picks the smallest that keeps labels apart.
  var INT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8, 1e9];
  function meanOf(col) {
    var sum = 0, n = 0;
    for (var i = 0; i < col.length; i++) if (col[i] != null && isFinite(col[i])) { sum += col[i]; n++; }
    return n ? sum / n : null;
  }
  function axis(opts) {
    var a = { font: FONT, labelFont: LABEL_FONT, stroke: '#475569', grid: { stroke: '#e8ebf0', width: 1 }, ticks: { stroke: '#cbd2dc', width: 1, size: 4 } };
    for (var k in opts) a[k] = opts[k];
    return a;
  }

  function hexRgb(c) {
    return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
  }
  // A heatmap on a plain canvas: x the run's seconds, y log-spaced latency bands, shade the count
  // (log scale, so a handful of slow requests still shows beside thousands of fast ones).
  function heatmap(spec, host) {
    var secs = spec.data[0], edges = spec.data[1], rows = spec.data.slice(2);
    var dpr = window.devicePixelRatio || 1;
    var canvas = document.createElement('canvas');
    var legend = document.createElement('div');
    legend.className = 'hm-legend';
    host.appendChild(canvas);
    host.appendChild(legend);
    var max = 1;
    rows.forEach(function (r) { r.forEach(function (c) { if (c > max) max = c; }); });
    var base = hexRgb(spec.series[0].color.slice(0, 7)), pale = [239, 246, 255];
    var L = 60, R = 12, T = 8, B = 40, H = 250, W = 0;
    function shade(c) {
      var t = Math.log(1 + c) / Math.log(1 + max);
      return 'rgb(' + [0, 1, 2].map(function (k) { return Math.round(pale[k] + (base[k] - pale[k]) * t); }).join(',') + ')';
    }
    function draw(width) {
      W = width;
      canvas.width = W * dpr; canvas.height = H * dpr;
      canvas.style.width = W + 'px'; canvas.style.height = H + 'px';
      var g = canvas.getContext('2d');
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, W, H);
      var pw = W - L - R, ph = H - T - B, cw = pw / Math.max(1, secs.length), rh = ph / (edges.length - 1);
      rows.forEach(function (r, i) {
        r.forEach(function (c, b) {
          if (!c) return;
          g.fillStyle = shade(c);
          g.fillRect(L + i * cw, T + ph - (b + 1) * rh, Math.ceil(cw), Math.ceil(rh));
        });
      });
      g.strokeStyle = '#cbd2dc'; g.strokeRect(L, T, pw, ph);
      g.fillStyle = '#475569'; g.font = FONT; g.textAlign = 'right'; g.textBaseline = 'middle';
      for (var b = 0; b < edges.length; b += 4) g.fillText(compact(edges[b]), L - 6, T + ph - b * rh);
      g.textAlign = 'center'; g.textBaseline = 'top';
      var every = Math.max(1, Math.ceil(secs.length / 8));
      for (var i = 0; i < secs.length; i += every) g.fillText(clock(secs[i]), L + (i + 0.5) * cw, T + ph + 4);
      g.font = LABEL_FONT;
      g.fillText('elapsed (m:ss)', L + pw / 2, H - 16);
      g.save(); g.translate(12, T + ph / 2); g.rotate(-Math.PI / 2); g.fillText('ms (log scale)', 0, -6); g.restore();
      legend.textContent = 'darkest: ' + fmt(max) + ' requests in one second and band; hover for a cell';
    }
    canvas.addEventListener('mousemove', function (ev) {
      var rect = canvas.getBoundingClientRect();
      var pw = W - L - R, ph = H - T - B;
      var i = Math.floor((ev.clientX - rect.left - L) / (pw / Math.max(1, secs.length)));
      var b = Math.floor((T + ph - (ev.clientY - rect.top)) / (ph / (edges.length - 1)));
      if (i < 0 || i >= secs.length || b < 0 || b >= edges.length - 1) return;
      legend.textContent = clock(secs[i]) + ' \u00b7 ' + fmt(edges[b]) + '\u2013' + fmt(edges[b + 1]) + ' ms \u00b7 ' + fmt(rows[i][b]) + ' requests';
    });
    draw(Math.max(300, Math.floor(host.getBoundingClientRect().width)));
    return {
      setSize: function (sz) { draw(sz.width); },
      destroy: function () { host.textContent = ''; },
      axes: [{ _splits: secs.slice() }, { _splits: edges.slice() }]
    };
  }

  function make(spec) {
    var host = document.querySelector('[data-chart="' + spec.id + '"] .plot');
    if (!host) return;
    if (spec.kind === 'heatmap') {
      plots.push({ u: heatmap(spec, host), host: host, id: spec.id });
      return;
    }
    var width = Math.max(300, Math.floor(host.getBoundingClientRect().width));
    var xSeries = { label: spec.kind === 'time' ? 'elapsed' : spec.kind === 'spectrum' ? 'percentile' : spec.kind === 'xy' ? spec.xLabel : 'from (ms)' };
    var xs = spec.data[0] || [];
    var span = xs.length ? clock(xs[0]) + '\u2013' + clock(xs[xs.length - 1]) : '\u2014';
    if (spec.kind === 'time') xSeries.value = function (u, v) { return v == null ? span : clock(v); };
    else if (spec.kind === 'spectrum') xSeries.value = function (u, v) { return v == null ? '\u2014' : pctOf(v); };
    else xSeries.value = function (u, v) { return v == null ? '\u2014' : fmt(v); };
    var series = [xSeries];
    var stepped = uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : null;
    spec.series.forEach(function (s, k) {
      var unit = s.unit || '';
      // Away from the cursor the legend shows each series' mean over the run, not a dash.
      var mean = spec.kind === 'time' ? meanOf(spec.data[k + 1]) : null;
      var ser = {
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        scale: s.scale || 'y',
        spanGaps: false,
        points: { show: spec.kind === 'spectrum' || spec.kind === 'xy', size: spec.kind === 'xy' ? 6 : 4, fill: s.color },
        value: function (u, v, si, idx) {
          if (v != null) return fmt(v) + unit;
          return idx == null && mean != null ? 'mean ' + fmt(mean) + unit : '\u2014';
        }
      };
      if (s.dash) ser.dash = s.dash;
      if (spec.kind === 'hist') {
        ser.fill = s.color + '26';
        if (stepped) ser.paths = stepped;
      }
      series.push(ser);
    });

    var scales = { y: spec.yLog ? { distr: 3, log: 10 } : { range: zeroBased } };
    var xAxis;
    if (spec.kind === 'time') {
      scales.x = { time: false };
      xAxis = axis({ label: 'elapsed (m:ss)', labelSize: 20, values: function (u, splits) { return splits.map(clock); } });
    } else if (spec.kind === 'spectrum') {
      scales.x = { time: false, range: [0, 4] };
      xAxis = axis({ label: 'percentile', labelSize: 20, splits: function () { return [0, 1, 2, 3, 4]; }, values: function (u, splits) { return splits.map(function (x) { return PCT_LABELS[Math.round(x)] || ''; }); } });
    } else {
      scales.x = { time: false };
      xAxis = axis({ label: spec.xLabel, labelSize: 20 });
    }
    var yAxis = axis({ label: spec.yLabel + (spec.yLog ? ' (log scale)' : ''), labelSize: 18, size: 56, values: function (u, splits) { return splits.map(compact); } });
    if (spec.yLog) yAxis.splits = logSplits;
    if (spec.yInteger) yAxis.incrs = INT_INCRS;
    var axes = [xAxis, yAxis];
    if (spec.series.some(function (s) { return s.scale === 'y2'; })) {
      scales.y2 = { range: zeroBased };
      var y2 = axis({ scale: 'y2', side: 1, label: spec.y2Label || '', labelSize: 18, size: 56, grid: { show: false }, values: function (u, splits) { return splits.map(compact); } });
      if (spec.y2Integer) y2.incrs = INT_INCRS;
      axes.push(y2);
    }
    var opts = {
      width: width,
      height: 250,
      series: series,
      scales: scales,
      axes: axes,
      legend: { live: true },
      cursor: spec.kind === 'time' ? { sync: { key: 'servebench-time' }, drag: { x: true, y: false } } : { drag: { x: true, y: false } }
    };
    var u = new uPlot(opts, spec.data, host);
    plots.push({ u: u, host: host, id: spec.id });
  }

  data.charts.forEach(function (spec) {
    if (spec.empty) return;
    try { make(spec); }
    catch (e) {
      var host = document.querySelector('[data-chart="' + spec.id + '"] .plot');
      if (host) host.textContent = 'This chart could not be drawn: ' + (e && e.message ? e.message : e);
      console.error('servebench report: chart ' + spec.id + ' failed: ' + (e && e.stack ? e.stack : e));
    }
  });

  var resizeTimer = 0;
  function onResize() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      plots.forEach(function (p) { p.u.setSize({ width: Math.max(300, Math.floor(p.host.getBoundingClientRect().width)), height: 250 }); });
    }, 100);
  }
  window.addEventListener('resize', onResize);

  var done = performance.now();
  window.__servebench = {
    renderedAtMs: done,
    chartsMs: done - t0,
    charts: plots.length,
    // The live dashboard draws the page again each second: it lets go of this drawing first.
    destroy: function () {
      window.removeEventListener('resize', onResize);
      plots.forEach(function (p) { p.u.destroy(); });
      plots = [];
    },
    // For tests: the tick values each drawn chart's axes show.
    ticks: function (id) {
      var p = plots.filter(function (x) { return x.id === id; })[0];
      return p ? p.u.axes.map(function (a) { return (a._splits || []).slice(); }) : null;
    }
  };
  document.documentElement.setAttribute('data-charts-ready', String(plots.length));
})();
`;
