/* Charts fitted to the printed page. Plotly draws each chart as SVG layers sized in pixels from the screen, which
   CSS alone cannot scale: print.css makes each chart as wide as the page, and this gives every layer a viewBox of
   its own size, so that it scales with it (the layers keep one size, so the legend and hover layers stay aligned).
   Each container is also given its width-to-height ratio. Run as charts are drawn and redrawn (before the browser
   paints them), not only before printing: Chromium's page.pdf() fires no beforeprint event. */
(function () {
  if (window.covenantPrintCharts) return;
  window.covenantPrintCharts = true;
  function fit() {
    document.querySelectorAll('.svg-container').forEach(function (box) {
      var svg = box.querySelector('svg.main-svg');
      if (!svg) return;
      var width = svg.getAttribute('width'), height = svg.getAttribute('height');
      if (!(width > 0 && height > 0)) return;
      var ratio = width + ' / ' + height;
      if (box.style.getPropertyValue('--print-ratio') !== ratio) box.style.setProperty('--print-ratio', ratio);
      box.querySelectorAll('svg.main-svg').forEach(function (layer) {
        var view = '0 0 ' + layer.getAttribute('width') + ' ' + layer.getAttribute('height');
        if (layer.getAttribute('viewBox') !== view) layer.setAttribute('viewBox', view);
      });
    });
  }
  new MutationObserver(function (changes) {
    for (var i = 0; i < changes.length; i++) {
      var change = changes[i];
      if (change.type === 'childList' ? change.addedNodes.length : change.target.nodeName === 'svg') { fit(); return; }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['width', 'height']});
  window.addEventListener('beforeprint', fit);
  fit();
})();
