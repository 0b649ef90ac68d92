// mofan: progressive enhancements only; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("main-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
  });
  // Forms marked data-confirm ask before submitting (deactivate, delete, revoke).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form.getAttribute && form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
    }
  });
  // "Select all" buttons for checkbox lists.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-check-all]");
    if (!button) { return; }
    var box = document.getElementById(button.getAttribute("data-check-all"));
    if (!box) { return; }
    var inputs = box.querySelectorAll("input[type=checkbox]");
    var all = Array.prototype.every.call(inputs, function (i) { return i.checked; });
    inputs.forEach(function (i) { i.checked = !all; });
  });
  // A 503 from a lost database connection (core/dbfaults.py) carries a short message that the
  // server retargets before the element that sent the request: show it (htmx does not swap
  // error answers by default) instead of the previous one, and keep the form as typed.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status !== 503 || xhr.getResponseHeader("HX-Retarget") !== "this") { return; }
    document.querySelectorAll(".fault-message").forEach(function (old) { old.remove(); });
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  });
})();
