// mofan: the self-evaluation and scoring pages (progressive enhancement; both work without it).
// "只看未填" toggles in place instead of reloading: filled rows are hidden by CSS
// (.only-unfilled .leaf.is-done), a row saved meanwhile stays in view until the next toggle.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-filter-unfilled]");
    if (!link) { return; }
    var main = document.getElementById("work-main");
    if (!main || main.hasAttribute("data-server-filtered")) { return; }
    event.preventDefault();
    var on = main.classList.toggle("only-unfilled");
    main.querySelectorAll(".leaf.just-saved").forEach(function (row) {
      row.classList.remove("just-saved");
    });
    link.textContent = link.getAttribute(on ? "data-label-on" : "data-label-off");
    link.setAttribute("aria-pressed", on ? "true" : "false");
    if (window.history && window.URL) {
      var url = new URL(window.location.href);
      if (on) { url.searchParams.set("unfilled", "1"); } else { url.searchParams.delete("unfilled"); }
      window.history.replaceState(null, "", url.toString());
    }
  });
})();
