// The game page's only script, inlined: chip filters over data attributes the
// server-side render wrote. Filters within a group are OR, groups are AND;
// play_type and split select plays, status and camera select clips, and a
// play shows while any of its clips does. No data is read from the page's
// text into HTML: only classes are toggled.

export const FILTER_SCRIPT = `
(function () {
  var groups = { type: new Set(), split: new Set(), status: new Set(), camera: new Set() };
  var plays = Array.prototype.slice.call(document.querySelectorAll(".play"));
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var empty = document.getElementById("empty");
  var texts = plays.map(function (p) { return p.textContent.toLowerCase(); });
  function pass(set, value) { return set.size === 0 || set.has(value); }
  function apply() {
    var query = search ? search.value.trim().toLowerCase() : "";
    var playCount = 0, clipCount = 0;
    plays.forEach(function (play, i) {
      var playOk = pass(groups.type, play.dataset.type) && pass(groups.split, play.dataset.split) &&
        (query === "" || texts[i].indexOf(query) >= 0);
      var clips = play.querySelectorAll(".clip"), visible = 0;
      for (var j = 0; j < clips.length; j++) {
        var c = clips[j];
        var ok = playOk && pass(groups.status, c.dataset.status) && pass(groups.camera, c.dataset.camera);
        c.classList.toggle("hidden", !ok);
        if (ok) visible++;
      }
      var clipFilters = groups.status.size + groups.camera.size;
      var show = playOk && (visible > 0 || (clips.length === 0 && clipFilters === 0));
      play.classList.toggle("hidden", !show);
      if (show) { playCount++; clipCount += visible; }
    });
    if (shown) shown.textContent = clipCount + " of " + shown.dataset.clips + " clips \\u00b7 " + playCount + " of " + plays.length + " plays";
    if (empty) empty.classList.toggle("hidden", playCount > 0);
  }
  document.addEventListener("click", function (event) {
    var chip = event.target.closest ? event.target.closest(".chip") : null;
    if (!chip) return;
    if (chip.id === "reset") {
      Object.keys(groups).forEach(function (k) { groups[k].clear(); });
      document.querySelectorAll(".chip[aria-pressed]").forEach(function (c) { c.setAttribute("aria-pressed", "false"); });
      if (search) search.value = "";
    } else {
      var set = groups[chip.dataset.filter];
      if (!set) return;
      var on = chip.getAttribute("aria-pressed") !== "true";
      chip.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) set.add(chip.dataset.value); else set.delete(chip.dataset.value);
    }
    apply();
  });
  if (search) search.addEventListener("input", apply);
  apply();
})();
`;
