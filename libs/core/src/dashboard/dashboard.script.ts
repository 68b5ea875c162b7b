/**
 * The dashboard's browser code (served as `dashboard/app.js`). Plain ES2020 in a string so the
 * build needs no bundler; it reads its panels from the page's `ballast-config` JSON and draws each
 * one from the history, so a new panel is an entry in `DASHBOARD_PANELS`, not code here.
 * Each chart's figure carries `data-points` (non-empty values drawn) and, for timelines, each
 * row `data-state` (the current state): what a reader of the DOM, such as the browser test, checks.
 */
export const DASHBOARD_SCRIPT = /* js */ `'use strict';
(function () {
  var config = JSON.parse(document.getElementById('ballast-config').textContent);
  var COLORS = ['#1d4ed8', '#b91c1c', '#15803d', '#7e22ce', '#b45309', '#0e7490', '#be185d', '#4d7c0f'];
  var STATES = ['closed', 'half-open', 'open', 'forced-open', 'disabled', 'metrics-only'];
  var token = document.getElementById('token');
  token.value = sessionStorage.getItem('ballastToken') || '';
  token.addEventListener('change', function () { sessionStorage.setItem('ballastToken', token.value); refresh(); });
  var charts = {};
  var CHART_HEIGHT = 190;

  // A chart is drawn at its holder's width: the grid reflows with the window, so the charts follow it.
  function chartWidth(holder) { return Math.max(240, holder.clientWidth || 400); }
  var resizing = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      Object.keys(charts).forEach(function (id) {
        var plot = charts[id].plot, width = chartWidth(plot.root.parentElement);
        if (plot.width !== width) plot.setSize({ width: width, height: CHART_HEIGHT });
      });
    }, 150);
  });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c instanceof Node ? c : document.createTextNode(String(c))); });
    return node;
  }

  function fmt(unit, v) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    if (unit === 'ratio') return (v * 100).toFixed(v < 0.1 ? 1 : 0) + '%';
    if (unit === 'mb') return (Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)) + ' MB';
    if (unit === 'ms') return v < 10 ? v.toFixed(2) + ' ms' : Math.round(v) + ' ms';
    if (unit === 'bytes') {
      var units = ['B', 'KiB', 'MiB', 'GiB'], i = 0;
      while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
      return (i ? v.toFixed(1) : Math.round(v)) + ' ' + units[i];
    }
    return Number.isInteger(v) ? v.toLocaleString() : v.toFixed(2);
  }

  function api(path) {
    var headers = token.value ? { Authorization: 'Bearer ' + token.value } : {};
    return fetch(path, { headers: headers }).then(function (res) {
      if (res.status === 401) throw new Error('The performance API wants the admin token (field at the top).');
      if (!res.ok) throw new Error(path + ' answered ' + res.status);
      return res.json();
    });
  }

  // Every history series a panel entry matches, with the label it is drawn under.
  function matchSeries(panel, history) {
    var out = [];
    panel.series.forEach(function (spec) {
      var re = new RegExp('^' + spec.match.replace(/[.+?^$()|[\\]\\\\{}]/g, '\\\\$&').replace(/\\*/g, '([^/]+)') + '$');
      Object.keys(history.series).sort().forEach(function (key) {
        var m = re.exec(key);
        if (!m) return;
        var name = m.slice(1).join(' ');
        out.push({ key: key, label: [name, spec.label].filter(Boolean).join(' ') || key, values: history.series[key] });
      });
    });
    return out;
  }

  function countPoints(series) {
    return series.reduce(function (n, s) { return n + s.values.filter(function (v) { return v !== null; }).length; }, 0);
  }

  // Least squares over the window, drawn from the last sample a third of the window ahead.
  function forecast(xs, values) {
    var pts = [];
    xs.forEach(function (x, i) { if (values[i] !== null) pts.push([x, values[i]]); });
    if (pts.length < 3) return null;
    var n = pts.length, sx = 0, sy = 0, sxx = 0, sxy = 0;
    pts.forEach(function (p) { sx += p[0]; sy += p[1]; sxx += p[0] * p[0]; sxy += p[0] * p[1]; });
    var den = n * sxx - sx * sx;
    if (den === 0) return null;
    var slope = (n * sxy - sx * sy) / den, icpt = (sy - slope * sx) / n;
    var last = xs[xs.length - 1], span = last - xs[0], step = span / 6;
    var ahead = [1, 2].map(function (k) { return last + step * k; });
    return { ahead: ahead, at: function (x) { return Math.max(0, icpt + slope * x); } };
  }

  function lineChart(panel, figure, history, series) {
    var xs = history.t.map(function (t) { return t / 1000; });
    var columns = series.map(function (s) { return s.values.slice(); });
    var defs = series.map(function (s, i) {
      return { label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false,
        value: function (u, v) { return fmt(panel.unit, v); } };
    });
    if (panel.forecast && series.length) {
      var f = forecast(xs, series[0].values);
      if (f) {
        var pad = f.ahead.map(function () { return null; });
        columns = columns.map(function (c) { return c.concat(pad); });
        var line = xs.map(function () { return null; });
        line[line.length - 1] = f.at(xs[xs.length - 1]);
        columns.push(line.concat(f.ahead.map(f.at)));
        xs = xs.concat(f.ahead);
        defs.push({ label: series[0].label + ' forecast', stroke: '#475569', dash: [6, 4], width: 2,
          value: function (u, v) { return fmt(panel.unit, v); } });
      }
    }
    var holder = figure.querySelector('.chart');
    var width = chartWidth(holder);
    var signature = defs.map(function (d) { return d.label; }).join('|');
    var data = [xs].concat(columns);
    var existing = charts[panel.id];
    if (existing && existing.signature === signature) {
      if (existing.plot.width !== width) existing.plot.setSize({ width: width, height: CHART_HEIGHT });
      existing.plot.setData(data);
      return;
    }
    if (existing) existing.plot.destroy();
    holder.replaceChildren();
    var opts = {
      width: width, height: CHART_HEIGHT, series: [{}].concat(defs),
      scales: panel.unit === 'ratio' ? { y: { range: [0, 1] } } : {},
      axes: [{ stroke: '#334155' }, { stroke: '#334155', size: 84,
        values: function (u, vals) { return vals.map(function (v) { return fmt(panel.unit, v); }); } }],
      legend: { live: true },
    };
    charts[panel.id] = { signature: signature, plot: new uPlot(opts, data, holder) };
  }

  function timeline(panel, figure, history, series) {
    var holder = figure.querySelector('.chart');
    if (charts[panel.id]) { charts[panel.id].plot.destroy(); delete charts[panel.id]; }
    var rows = series.map(function (s) {
      var bar = el('div', { class: 'bar', role: 'img' });
      var runs = [], current = null;
      s.values.forEach(function (v) {
        if (current && current.v === v) current.n++; else runs.push(current = { v: v, n: 1 });
      });
      runs.forEach(function (r) {
        var name = r.v === null ? 'no data' : STATES[r.v] || String(r.v);
        bar.append(el('span', { class: r.v === null ? '' : 'st-' + r.v, style: 'flex:' + r.n, title: name + ' (' + r.n + ' samples)' }));
      });
      var latest = null;
      for (var i = s.values.length - 1; i >= 0; i--) if (s.values[i] !== null) { latest = s.values[i]; break; }
      var now = latest === null ? 'no data' : STATES[latest] || String(latest);
      bar.setAttribute('aria-label', s.label + ': ' + runs.map(function (r) { return (r.v === null ? 'no data' : STATES[r.v]) + ' x' + r.n; }).join(', '));
      return el('div', { class: 'timeline-row', 'data-breaker': s.label, 'data-state': now },
        [el('span', {}, [s.label]), bar, el('strong', {}, [now])]);
    });
    var legend = el('div', { class: 'legend', 'aria-hidden': 'true' }, STATES.slice(0, 4).map(function (name, i) {
      return el('span', {}, [el('i', { class: 'st-' + i }), name]);
    }));
    holder.replaceChildren.apply(holder, rows.concat([legend]));
  }

  function drawPanels(history) {
    var root = document.getElementById('panels');
    if (!root.childElementCount) {
      // One grid, panels in their order; the section names the module above each title.
      root.append(el('div', { class: 'grid' }, config.panels.map(function (p) {
        return el('figure', { 'data-panel': p.id, 'data-points': '0', 'aria-label': p.section + ': ' + p.title + '. ' + p.description }, [
          el('figcaption', {}, [el('span', { class: 'section' }, [p.section]), p.title, el('span', { class: 'muted' }, [p.description])]),
          el('div', { class: 'chart' }),
        ]);
      })));
    }
    config.panels.forEach(function (panel) {
      var figure = root.querySelector('[data-panel="' + panel.id + '"]');
      var series = matchSeries(panel, history);
      var points = countPoints(series);
      figure.setAttribute('data-points', String(points));
      figure.setAttribute('data-series', String(series.length));
      if (!points) {
        if (charts[panel.id]) { charts[panel.id].plot.destroy(); delete charts[panel.id]; }
        figure.querySelector('.chart').replaceChildren(el('div', { class: 'nodata' }, ['No data yet.']));
        return;
      }
      if (panel.kind === 'timeline') timeline(panel, figure, history, series);
      else lineChart(panel, figure, history, series);
    });
  }

  function drawReport(report) {
    var overall = document.getElementById('overall');
    overall.textContent = report.overall_health;
    overall.className = 'badge ' + report.overall_health;
    document.getElementById('score').textContent = report.efficiency_score === null ? '' : 'efficiency ' + report.efficiency_score + '/100';
    document.getElementById('updated').textContent = 'updated ' + new Date(report.generated_at).toLocaleTimeString();
    var all = [];
    Object.keys(report.sections).forEach(function (s) { all = all.concat(report.sections[s]); });
    document.getElementById('components').replaceChildren.apply(document.getElementById('components'), all.map(function (c) {
      return el('span', { class: 'badge ' + c.health.status, title: c.health.reason || c.health.status }, [c.kind + ' ' + c.name + ': ' + c.health.status]);
    }));
    var recs = document.getElementById('recommendations');
    recs.replaceChildren.apply(recs, report.recommendations.length ? report.recommendations.map(function (r) {
      return el('li', { class: r.severity, 'data-component': r.component }, [el('span', { class: 'sev ' + r.severity }, [r.severity]), '[' + r.component + '] ' + r.message]);
    }) : [el('li', { class: 'info' }, ['None: nothing to change.'])]);
    var numbers = document.getElementById('numbers');
    numbers.replaceChildren.apply(numbers, all.map(function (c) {
      var rows = Object.keys(c.metrics).map(function (k) {
        var v = c.metrics[k];
        return el('tr', {}, [el('td', {}, [k]), el('td', { class: 'num' }, [typeof v === 'number' ? fmt('count', v) : v === null ? '-' : String(v)])]);
      });
      var open = numbers.querySelector('details[data-name="' + c.kind + '/' + c.name + '"]');
      return el('details', open && open.open ? { 'data-name': c.kind + '/' + c.name, open: '' } : { 'data-name': c.kind + '/' + c.name },
        [el('summary', {}, [c.kind + ' ' + c.name + ' - efficiency ' + c.efficiency_score + '/100']), el('table', {}, rows)]);
    }));
  }

  function drawLeaks(body) {
    var holder = document.getElementById('leaks');
    if (!body.tracking) { holder.replaceChildren(el('p', { class: 'muted' }, ['The resource tracker is not loaded.'])); return; }
    var byOwner = {};
    body.leaks.forEach(function (l) {
      var o = byOwner[l.owner || '(no owner)'] || (byOwner[l.owner || '(no owner)'] = { count: 0, types: {}, oldest: 0 });
      o.count++; o.types[l.type] = (o.types[l.type] || 0) + 1; o.oldest = Math.max(o.oldest, l.ageMs);
    });
    var owners = Object.keys(byOwner).sort(function (a, b) { return byOwner[b].count - byOwner[a].count; });
    if (!owners.length) { holder.replaceChildren(el('p', { class: 'muted' }, ['No leak reported.'])); return; }
    var head = el('tr', {}, [el('th', { scope: 'col' }, ['Owner']), el('th', { scope: 'col', class: 'num' }, ['Leaks']),
      el('th', { scope: 'col' }, ['Types']), el('th', { scope: 'col', class: 'num' }, ['Oldest'])]);
    holder.replaceChildren(el('table', { 'data-leak-owners': String(owners.length) }, [el('thead', {}, [head]), el('tbody', {}, owners.map(function (o) {
      var row = byOwner[o];
      return el('tr', { 'data-owner': o }, [el('td', {}, [o]), el('td', { class: 'num' }, [row.count]),
        el('td', {}, [Object.keys(row.types).map(function (t) { return t + ' x' + row.types[t]; }).join(', ')]),
        el('td', { class: 'num' }, [Math.round(row.oldest / 1000) + ' s'])]);
    }))]));
  }

  var since = 0;
  function refresh() {
    return Promise.all([api('report'), api('history'), api('resources/leaks')]).then(function (r) {
      document.getElementById('error').textContent = '';
      drawReport(r[0]);
      var h = r[1];
      document.getElementById('window').textContent = String(Math.round(h.capacity * h.interval_ms / 60000));
      document.getElementById('history-info').textContent = h.samples + ' samples every ' + h.interval_ms / 1000 + ' s, ' + fmt('bytes', h.bytes) + ' held';
      drawPanels(h);
      drawLeaks(r[2]);
      document.body.setAttribute('data-refreshed', String(++since));
    }).catch(function (error) {
      document.getElementById('error').textContent = error.message;
    });
  }

  refresh();
  setInterval(refresh, config.pollMs);
})();
`;
