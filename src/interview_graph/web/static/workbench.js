// interview-graph workbench: the small script layer over server-rendered pages.
// Everything works without it (plain links and forms); it adds incremental loading of the
// transcript (the next page appended in place on "More sentences", never all at once), the colour switch without a reload, keyboard moves between sentences, and
// scrolling to a linked sentence. It never builds HTML from strings: the reader's next page
// is HTML rendered (and escaped) by the server, parsed inertly with DOMParser.
"use strict";

(function () {
  function sentences() {
    return Array.prototype.slice.call(document.querySelectorAll("#turns .s"));
  }

  // -- the next page of the transcript, appended in place ---------------------------------
  var loading = null;

  function loadMore(link, focusFirstNew) {
    if (loading) return loading;
    var url = link.getAttribute("data-more");
    var pager = link.closest(".pager");
    var before = sentences().length;
    link.setAttribute("aria-busy", "true");
    loading = fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var turns = document.getElementById("turns");
        var fresh = doc.querySelector(".turns");
        while (fresh && fresh.firstChild) turns.appendChild(document.adoptNode(fresh.firstChild));
        var nextPager = doc.querySelector(".pager");
        if (nextPager) pager.replaceWith(document.adoptNode(nextPager));
        else pager.remove();
        watchPager();
        if (focusFirstNew) {
          var added = sentences()[before];
          if (added) added.focus();
        }
      })
      .catch(function (error) {
        link.removeAttribute("aria-busy");
        link.textContent = "More sentences (loading failed: " + error.message + "; try again)";
      })
      .finally(function () {
        loading = null;
      });
    return loading;
  }

  function watchPager() {
    var link = document.querySelector(".pager.more a[data-more]");
    if (!link) return;
    link.addEventListener("click", function (event) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      loadMore(link, event.detail === 0);
    });
  }

  // -- colour by purpose or topic, switched in place --------------------------------------
  function watchColour() {
    var reader = document.querySelector(".reader");
    if (!reader) return;
    document.querySelectorAll('input[name="colour"]').forEach(function (radio) {
      radio.addEventListener("change", function () {
        reader.classList.remove("colour-purpose", "colour-topic");
        reader.classList.add("colour-" + radio.value);
        var url = new URL(window.location.href);
        if (radio.value === "purpose") url.searchParams.delete("colour");
        else url.searchParams.set("colour", radio.value);
        window.history.replaceState(null, "", url.toString());
      });
    });
  }

  // -- j / k: next and previous sentence --------------------------------------------------
  function typing(target) {
    return target && target.closest && target.closest("input, select, textarea, [contenteditable]");
  }

  function move(step) {
    var all = sentences();
    if (!all.length) return;
    var current = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("#turns .s") : null;
    var index = current ? all.indexOf(current) + step : (step > 0 ? 0 : all.length - 1);
    if (index >= all.length) {
      var more = document.querySelector(".pager.more a[data-more]");
      if (more) loadMore(more, true);
      return;
    }
    var next = all[Math.max(0, index)];
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
  });

  // -- a linked sentence: in view and focused ----------------------------------------------
  function showTarget() {
    var target = document.querySelector(".s.is-target");
    if (!target) return;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchPager();
    watchColour();
    showTarget();
    document.documentElement.setAttribute("data-ready", "true");
  });
})();
