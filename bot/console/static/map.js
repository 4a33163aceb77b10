/* The map page: markers from the JSON the page carries (no inline script: the CSP forbids it). */
(function () {
  var box = document.getElementById("map");
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var map = L.map(box).setView([51.53, 46.03], 7);
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 18,
    attribution: "&copy; участники OpenStreetMap"
  }).addTo(map);
  var bounds = [];
  data.markers.forEach(function (m) {
    // Pixels, not metres: a municipality's circle stays readable at any zoom.
    L.circleMarker([m.lat, m.lon], {radius: Math.min(40, 8 + 3 * Math.sqrt(m.count))})
      .bindPopup(document.createTextNode(m.name + ": " + m.count)).addTo(map);
    bounds.push([m.lat, m.lon]);
  });
  data.points.forEach(function (p) {
    var link = document.createElement("a");
    link.href = box.dataset.ticket + encodeURIComponent(p.number);
    link.textContent = "№ " + p.number + ", " + p.when;
    L.marker([p.lat, p.lon]).bindPopup(link).addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, {maxZoom: 12, padding: [30, 30]}); }
})();
