import type { DashboardPanel } from './dashboard.panels.js';

/** `<` cannot close the script element it sits in once escaped. */
const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The dashboard page: layout and styles only. Data comes from the performance API (history,
 * report, leaks) polled by `dashboard/app.js`; charts are uPlot, served from the package at
 * `dashboard/uplot.js` (no CDN). Colours keep a 4.5:1 contrast against their background.
 */
export function dashboardHtml(panels: readonly DashboardPanel[], pollMs: number): string {
  return /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ballast dashboard</title>
<link rel="stylesheet" href="dashboard/uplot.css">
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2329; background: #f4f6f8; }
  body { margin: 0 auto; max-width: 1400px; padding: 1rem 1.5rem 2rem; }
  header { display: flex; align-items: center; gap: .8rem; flex-wrap: wrap; }
  h1 { margin: 0; font-size: 1.4rem; }
  h2 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
  .badge { display: inline-block; padding: .1rem .55rem; border-radius: 1rem; font-weight: 600; font-size: .82rem; }
  .healthy { background: #d3f3dc; color: #14532d; } .degraded { background: #fdf0c4; color: #713f12; }
  .unhealthy { background: #fcd9d9; color: #7f1d1d; } .unknown { background: #e2e8f0; color: #334155; }
  .muted { color: #475569; font-size: .85rem; font-variant-numeric: tabular-nums; }
  #components { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .6rem; }
  #components .badge { font-weight: 500; }
  ul.recs { list-style: none; padding: 0; margin: 0; }
  ul.recs li { background: #fff; border-left: 4px solid #64748b; padding: .35rem .6rem; margin-bottom: .3rem; font-size: .9rem; }
  ul.recs li.critical { border-color: #b91c1c; } ul.recs li.warning { border-color: #a16207; }
  .sev { font-weight: 700; text-transform: uppercase; font-size: .72rem; margin-right: .4rem; }
  .sev.critical { color: #b91c1c; } .sev.warning { color: #854d0e; } .sev.info { color: #334155; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: .8rem; }
  figure { margin: 0; background: #fff; border-radius: .5rem; padding: .6rem .8rem; box-shadow: 0 1px 2px #0002; min-width: 0; }
  figcaption { font-weight: 600; font-size: .95rem; }
  figcaption .muted { display: block; font-weight: 400; font-size: .78rem; }
  figcaption .section { display: block; font-weight: 600; font-size: .7rem; text-transform: uppercase; letter-spacing: .04em; color: #475569; }
  .chart { min-height: 190px; }
  .nodata { color: #475569; font-size: .85rem; padding: 2rem 0; text-align: center; }
  .timeline-row { display: grid; grid-template-columns: 9rem 1fr 6rem; align-items: center; gap: .5rem; margin: .4rem 0; font-size: .85rem; }
  .bar { display: flex; height: 1.3rem; border-radius: .25rem; overflow: hidden; background: #e2e8f0; }
  .bar span { height: 100%; }
  .st-0 { background: #15803d; } .st-1 { background: #b45309; } .st-2 { background: #b91c1c; }
  .st-3 { background: #7e22ce; } .st-4 { background: #475569; } .st-5 { background: #0369a1; }
  .legend { display: flex; gap: .8rem; flex-wrap: wrap; font-size: .78rem; margin-top: .3rem; }
  .legend i { display: inline-block; width: .8rem; height: .8rem; border-radius: .15rem; margin-right: .25rem; vertical-align: -.1rem; }
  table { width: 100%; border-collapse: collapse; font-size: .85rem; background: #fff; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e2e8f0; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  details { background: #fff; border-radius: .5rem; padding: .5rem .8rem; margin-bottom: .4rem; }
  summary { cursor: pointer; font-weight: 600; }
  #error { color: #b91c1c; margin-top: .6rem; font-weight: 600; }
  label { font-size: .85rem; color: #334155; } input { font: inherit; font-size: .85rem; }
  :focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
</style>
</head>
<body>
<header>
  <h1>Ballast</h1>
  <span id="overall" class="badge unknown" role="status" aria-live="polite">loading</span>
  <span id="score" class="muted"></span>
  <span id="updated" class="muted"></span>
  <label>Admin token <input id="token" type="password" autocomplete="off" size="24"></label>
</header>
<div id="error" role="alert"></div>
<div id="components" aria-label="Component health"></div>
<section aria-labelledby="recs-title"><h2 id="recs-title">Recommendations</h2><ul id="recommendations" class="recs"></ul></section>
<section aria-labelledby="charts-title">
  <h2 id="charts-title">Last <span id="window">15</span> minutes <span id="history-info" class="muted"></span></h2>
  <div id="panels"></div>
</section>
<section aria-labelledby="leaks-title"><h2 id="leaks-title">Leaks by owner</h2><div id="leaks"></div></section>
<section aria-labelledby="numbers-title"><h2 id="numbers-title">Every number</h2><div id="numbers"></div></section>
<script src="dashboard/uplot.js"></script>
<script id="ballast-config" type="application/json">${jsonForScript({ panels, pollMs })}</script>
<script src="dashboard/app.js"></script>
</body>
</html>
`;
}
