// Draws the dashboard's series with uPlot from the figures embedded in the page (the same
// figures as its tables). Without JavaScript the tables are the whole page.
(function () {
  var holder = document.getElementById("per-day-chart");
  var data = document.getElementById("per-day-data");
  if (!holder || !data || typeof uPlot === "undefined") return;
  var s = JSON.parse(data.textContent);
  var xs = s.days.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; });
  var colours = { green: "#1e6b34", yellow: "#8a5a00", red: "#a4161a" };
  var series = [{}].concat(["green", "yellow", "red"].map(function (c) {
    return { label: c, stroke: colours[c], width: 2 };
  }));
  new uPlot({ width: Math.min(holder.clientWidth || 800, 1000), height: 240, series: series },
            [xs, s.green, s.yellow, s.red], holder);
})();
