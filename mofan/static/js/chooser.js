// mofan: the province-scale chooser (core/choosers.py). Without this file the text field is a
// plain search field the server resolves; with it, typing lists at most 20 matches (an htmx
// partial from /choose/<kind>/) and picking one fills the hidden id.
(function () {
  "use strict";

  function parts(el) {
    var box = el && el.closest && el.closest("[data-chooser]");
    if (!box) { return null; }
    return {
      box: box,
      value: box.querySelector("[data-chooser-value]"),
      input: box.querySelector("[data-chooser-input]"),
      list: box.querySelector("[data-chooser-options]")
    };
  }

  function options(c) {
    return Array.prototype.slice.call(c.list.querySelectorAll("[data-chooser-pick]"));
  }

  function open(c, shown) {
    c.list.hidden = !shown;
    c.input.setAttribute("aria-expanded", shown ? "true" : "false");
  }

  // A multiple chooser keeps each pick as a checked box (unchecking drops it).
  function add(c, id, label) {
    var chosen = c.box.querySelector("[data-chooser-chosen]");
    var boxes = chosen.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === id) { boxes[i].checked = true; return; }
    }
    var item = document.createElement("li");
    var tag = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = c.box.getAttribute("data-name");
    box.value = id;
    box.checked = true;
    tag.appendChild(box);
    tag.appendChild(document.createTextNode(" " + label));
    item.appendChild(tag);
    chosen.appendChild(item);
  }

  function pick(c, option) {
    var id = option.getAttribute("data-chooser-pick");
    var label = option.getAttribute("data-label");
    if (c.box.hasAttribute("data-chooser-multiple")) {
      add(c, id, label);
      c.input.value = "";
    } else {
      c.value.value = id;
      c.input.value = label;
    }
    open(c, false);
    c.input.focus();
  }

  // htmx sends the text as `q` (the endpoint's parameter), not as the field's own name.
  document.addEventListener("htmx:configRequest", function (event) {
    var el = event.detail.elt;
    if (!el.hasAttribute || !el.hasAttribute("data-chooser-input")) { return; }
    event.detail.parameters = { q: el.value };
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var c = parts(event.detail.target);
    if (c && event.detail.target === c.list) { open(c, document.activeElement === c.input || c.box.contains(document.activeElement)); }
  });

  document.addEventListener("input", function (event) {
    if (!event.target.hasAttribute || !event.target.hasAttribute("data-chooser-input")) { return; }
    var c = parts(event.target);
    if (c && c.value) { c.value.value = ""; }  // the text changed: the server resolves it unless re-picked
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-chooser-pick]");
    if (option) {
      var c = parts(option);
      if (c) { pick(c, option); }
      return;
    }
    document.querySelectorAll("[data-chooser]").forEach(function (box) {
      if (!box.contains(event.target)) {
        var other = parts(box.firstElementChild || box);
        if (other) { open(other, false); }
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    var c = parts(event.target);
    if (!c) { return; }
    var list = options(c);
    var at = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      open(c, true);
      list[Math.min(at + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp" && list.length) {
      event.preventDefault();
      if (at <= 0) { c.input.focus(); } else { list[at - 1].focus(); }
    } else if (event.key === "Escape") {
      open(c, false);
      c.input.focus();
    } else if (event.key === "Enter" && event.target === c.input && !c.list.hidden && list.length) {
      event.preventDefault();  // Enter in the search field picks the first match, not submit
      pick(c, list[0]);
    }
  });
})();
