/** The report's stylesheet: light theme, system fonts, laid out for a 1280–1600 px laptop screen. */
export const REPORT_CSS = `
:root {
  --bg: #f5f7fa; --card: #fff; --ink: #1f2937; --muted: #64748b; --line: #e3e8ef; --head: #f8fafc;
  --accent: #2563eb; --ok: #15803d; --ok-bg: #dcfce7; --bad: #b91c1c; --bad-bg: #fee2e2;
  --warn: #92400e; --warn-bg: #fef3c7; --warn-line: #f59e0b;
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; scroll-padding-top: 64px; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.wrap { max-width: 1320px; margin: 0 auto; padding: 0 24px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
h1, h2, h3 { line-height: 1.2; margin: 0; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }

header.top { background: #fff; border-bottom: 1px solid var(--line); }
header.top .wrap { padding-top: 18px; padding-bottom: 14px; display: flex; gap: 24px; align-items: flex-end; justify-content: space-between; flex-wrap: wrap; }
.brand { font-size: 12px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
header h1 { font-size: 24px; margin: 2px 0 6px; word-break: break-word; }
.target { color: var(--muted); font-size: 13px; }
.target b { color: var(--ink); font-weight: 600; }
.verdicts { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }

nav.sections { position: sticky; top: 0; z-index: 10; background: rgba(255,255,255,.96); border-bottom: 1px solid var(--line); backdrop-filter: blur(4px); }
nav.sections .wrap { display: flex; gap: 4px; overflow-x: auto; }
nav.sections a { display: inline-block; padding: 10px 12px; color: var(--muted); font-weight: 500; border-bottom: 2px solid transparent; }
nav.sections a:hover { color: var(--ink); border-bottom-color: var(--line); text-decoration: none; }

main { padding: 20px 0 40px; }
section { margin: 0 0 28px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }

.badge { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 700; letter-spacing: .02em; white-space: nowrap; }
.badge.pass { background: var(--ok-bg); color: var(--ok); }
.badge.fail { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.neutral { background: #eef2f7; color: var(--muted); }
.pill { display: inline-block; padding: 1px 8px; border-radius: 6px; background: #eef2f7; color: #334155; font-size: 12px; font-weight: 500; }

.banner { border-radius: 10px; padding: 12px 16px; margin: 0 0 16px; border: 1px solid; }
.banner h3 { font-size: 14px; margin: 0 0 4px; }
.banner ul { margin: 4px 0 0; padding-left: 20px; }
.hm-legend { font-size: 12px; color: var(--muted); padding: 4px 0 0 60px; min-height: 20px; }
.live-banner { border-radius: 10px; padding: 8px 14px; margin: 0 0 16px; border: 1px solid #93c5fd; background: #eff6ff; color: #1e3a8a; font-size: 13px; }
.live-banner::before { content: "\\25CF  "; color: #dc2626; }
.banner.warn { background: var(--warn-bg); border-color: var(--warn-line); color: #78350f; }
.banner.danger { background: #fff1f1; border-color: #f87171; color: #7f1d1d; }
.banner.info { background: #eff6ff; border-color: #93c5fd; color: #1e3a8a; }

.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.tile .k { color: var(--muted); font-size: 12px; font-weight: 500; }
.tile .v { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px; white-space: nowrap; }
.tile .v small { font-size: 13px; font-weight: 500; color: var(--muted); margin-left: 3px; }
.tile .s { color: var(--muted); font-size: 12px; margin-top: 2px; }
.tile.bad .v { color: var(--bad); }
.tile.good .v { color: var(--ok); }
.tile.warn .v { color: #b45309; }
.workload .tiles { grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }
.workload .tile { background: #fbfcfe; padding: 10px 12px; }
.workload .tile .v { font-size: 18px; }

dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; font-variant-numeric: tabular-nums; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.three { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 4fr) minmax(0, 4fr); gap: 16px; }
dl.kv dd.bad { color: var(--bad); font-weight: 600; }
.detail-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; margin-top: 14px; }
@media (max-width: 1000px) { .two, .three { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 4fr) minmax(0, 4fr); gap: 16px; }
dl.kv dd.bad { color: var(--bad); font-weight: 600; }
.detail-grid { grid-template-columns: 1fr; } }

table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--head); color: var(--muted); font-size: 12px; font-weight: 600; text-transform: none; border-bottom: 1px solid var(--line); white-space: nowrap; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 0; }
tbody th { font-weight: 600; white-space: nowrap; }
table.num td, table.num thead th:not(:first-child) { text-align: right; }
.tablebox { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: #fff; }
.tablebox + .tablebox { margin-top: 12px; }
.caption { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; margin: 0 0 6px; }
table.thresholds td.r { text-align: right; }
.tablebox.qos { padding: 10px 12px; }
.tablebox.qos dl.kv { gap: 4px 14px; }
td.sample { color: var(--muted); font-size: 12.5px; word-break: break-word; }
.muted { color: var(--muted); }
.unit { color: var(--muted); font-weight: 400; }

.workload { margin-bottom: 16px; }
.workload header { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; margin-bottom: 12px; }
.workload header h3 { font-size: 17px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 2px; vertical-align: baseline; }

.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 1000px) { .charts { grid-template-columns: 1fr; } }
.chart { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 14px 8px; min-width: 0; }
.chart h3 { font-size: 14px; margin: 0 0 2px; }
.chart .note { color: var(--muted); font-size: 12px; margin: 0 0 4px; }
.chart .plot { width: 100%; min-height: 250px; margin-top: 6px; }
.chart.empty .plot { display: none; }
.chart .nodata { display: flex; align-items: center; justify-content: center; height: 120px; margin-top: 8px; border: 1px dashed var(--line); border-radius: 8px; color: var(--muted); font-size: 13px; text-align: center; padding: 0 16px; }
.uplot { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.uplot .u-legend { font-size: 12px; text-align: left; margin-top: 4px; }
.uplot .u-legend .u-series { padding: 1px 6px; }
.uplot .u-legend th { font-weight: 500; color: #334155; }
.uplot .u-legend td { text-align: left; }
h4.group { font-size: 13px; color: var(--muted); margin: 18px 0 10px; font-weight: 600; text-transform: uppercase; letter-spacing: .05em; }
h4.group:first-of-type { margin-top: 0; }

footer { color: var(--muted); font-size: 12px; padding: 16px 0 32px; border-top: 1px solid var(--line); }
@media print { nav.sections { display: none; } .chart, .card, .workload { break-inside: avoid; } }
`;
