// Draws every chart on the page: an element with a data-figure attribute holds plotly figure
// JSON ({data, layout, config}). A file, not inline script, so the CSP can forbid inline code.
"use strict";

function drawCharts() {
  if (typeof Plotly === "undefined") return;
  for (const element of document.querySelectorAll("[data-figure]")) {
    const figure = JSON.parse(element.dataset.figure);
    const still = element.dataset.static === "true";  // sparklines: an image, no toolbar
    const config = Object.assign(
      still ? {staticPlot: true} : {responsive: true, displaylogo: false}, figure.config || {});
    Plotly.newPlot(element, figure.data || [], figure.layout || {}, config);
  }
}

document.addEventListener("DOMContentLoaded", drawCharts);
