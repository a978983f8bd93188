/**
 * The browser side of the live dashboard: plain ES2017, inlined as text into the report page the
 * dashboard serves. Once a second it asks /state whether new records arrived; when they did it
 * fetches the report as it stands (/report), swaps the page's body for the new one and draws the
 * charts again with the report's own client script. When the run has ended it shows the final
 * report and stops asking.
 */
export const LIVE_JS = String.raw`(function () {
  'use strict';
  var root = document.documentElement;
  var seq = Number(root.getAttribute('data-live-seq') || '0');
  var drawText = document.getElementById('sb-draw').textContent;
  var live = window.__servebenchLive = { updates: 0, final: false, failures: 0 };
  var busy = false;

  function swap(html, final) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var y = window.scrollY;
    if (window.__servebench && window.__servebench.destroy) window.__servebench.destroy();
    root.removeAttribute('data-charts-ready');
    // The new body keeps its script elements inert: only the drawing code runs again, here.
    // The first report after the waiting page brings the stylesheet too.
    if (document.head.querySelectorAll('style').length !== doc.head.querySelectorAll('style').length) document.head.innerHTML = doc.head.innerHTML;
    document.body.innerHTML = doc.body.innerHTML;
    (0, eval)(drawText);
    window.scrollTo(0, y);
    live.updates++;
    root.setAttribute('data-live-updates', String(live.updates));
    if (final) {
      live.final = true;
      root.setAttribute('data-final', 'true');
    }
  }

  function tick() {
    if (busy || live.final) return;
    busy = true;
    fetch('state', { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (st) {
        if (st.seq === seq && !st.done) return null;
        return fetch('report', { cache: 'no-store' })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            seq = st.seq;
            swap(html, st.done);
          });
      })
      .catch(function () {
        // The run ended and its process with it: say so instead of showing stale figures as live.
        live.failures++;
        var b = document.getElementById('sb-live');
        if (b && live.failures >= 3) b.textContent = 'The run is over or unreachable: its report.html holds the final figures.';
      })
      .then(function () { busy = false; });
  }
  setInterval(tick, 1000);
})();
`;
