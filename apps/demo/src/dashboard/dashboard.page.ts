/**
 * The live dashboard: one static page that polls the performance API and draws what every module
 * reports. Kept as a string so the build needs no asset step.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ballast demo</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2329; background: #f4f6f8; }
  body { margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
  header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
  h1 { margin: 0; font-size: 1.5rem; }
  .badge { padding: .15rem .6rem; border-radius: 1rem; font-weight: 600; font-size: .85rem; }
  .healthy { background: #d3f3dc; color: #14532d; } .degraded { background: #fdf0c4; color: #713f12; }
  .unhealthy { background: #fcd9d9; color: #7f1d1d; } .unknown { background: #e2e8f0; color: #334155; }
  section { margin-top: 1.5rem; }
  h2 { font-size: 1.05rem; text-transform: capitalize; margin: 0 0 .5rem; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: .75rem; }
  .card { background: #fff; border-radius: .5rem; padding: .8rem 1rem; box-shadow: 0 1px 2px #0001; }
  .card h3 { margin: 0 0 .4rem; font-size: 1rem; display: flex; justify-content: space-between; gap: .5rem; }
  .score { font-variant-numeric: tabular-nums; color: #475569; font-size: .85rem; }
  table { width: 100%; border-collapse: collapse; font-size: .82rem; }
  td { padding: .12rem 0; border-bottom: 1px solid #eef1f4; } td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
  .empty { color: #64748b; font-size: .9rem; }
  ul.recs { padding-left: 1.1rem; margin: .3rem 0 0; font-size: .9rem; }
  .critical { color: #b91c1c; } .warning { color: #a16207; } .info { color: #334155; }
  #error { color: #b91c1c; margin-top: 1rem; }
  label { font-size: .85rem; color: #475569; } input { font: inherit; font-size: .85rem; }
</style>
</head>
<body>
<header>
  <h1>Ballast demo</h1>
  <span id="overall" class="badge unknown">loading</span>
  <span id="score" class="score"></span>
  <span id="updated" class="score"></span>
  <label>Admin token <input id="token" type="password" autocomplete="off" size="24"></label>
</header>
<div id="error" role="alert"></div>
<section><h2>Recommendations</h2><ul id="recommendations" class="recs"></ul></section>
<div id="sections"></div>
<script>
  const token = document.getElementById('token');
  token.value = sessionStorage.getItem('ballastToken') ?? '';
  token.addEventListener('change', () => { sessionStorage.setItem('ballastToken', token.value); refresh(); });

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function format(value) {
    if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(3);
    return value === null ? '-' : String(value);
  }

  function card(component) {
    const rows = Object.entries(component.metrics).map(([key, value]) => el('tr', {}, el('td', {}, key), el('td', {}, format(value))));
    const status = component.health.status;
    return el('div', { class: 'card' },
      el('h3', {}, component.name, el('span', { class: 'badge ' + status }, status)),
      el('div', { class: 'score' }, 'efficiency ' + component.efficiency_score + '/100' + (component.health.reason ? ' - ' + component.health.reason : '')),
      el('table', {}, ...rows));
  }

  async function refresh() {
    const headers = token.value ? { Authorization: 'Bearer ' + token.value } : {};
    try {
      const res = await fetch('api/performance/report', { headers });
      if (!res.ok) throw new Error(res.status === 401 ? 'The performance API wants the admin token.' : 'Report answered ' + res.status);
      const report = await res.json();
      document.getElementById('error').textContent = '';
      const overall = document.getElementById('overall');
      overall.textContent = report.overall_health;
      overall.className = 'badge ' + report.overall_health;
      document.getElementById('score').textContent = report.efficiency_score === null ? '' : 'efficiency ' + report.efficiency_score + '/100';
      document.getElementById('updated').textContent = 'updated ' + new Date(report.generated_at).toLocaleTimeString();
      const recs = document.getElementById('recommendations');
      recs.replaceChildren(...(report.recommendations.length
        ? report.recommendations.map((r) => el('li', { class: r.severity }, '[' + r.component + '] ' + r.message))
        : [el('li', { class: 'empty' }, 'None: nothing to change.')]));
      const sections = document.getElementById('sections');
      sections.replaceChildren(...Object.entries(report.sections).map(([name, components]) =>
        el('section', {}, el('h2', {}, name), components.length
          ? el('div', { class: 'cards' }, ...components.map(card))
          : el('div', { class: 'empty' }, 'Nothing reports here yet.'))));
    } catch (error) {
      document.getElementById('error').textContent = error.message;
    }
  }

  refresh();
  setInterval(refresh, 2000);
</script>
</body>
</html>
`;
