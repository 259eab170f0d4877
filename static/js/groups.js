/* Dialogue groups: drag a person onto another group. An enhancement only: the
   "Move a person" form above the cards does the same with a keyboard or without
   JavaScript, and dropping fills in that form and sends it. */
(function () {
  "use strict";

  function enhance(round) {
    var form = round.querySelector("[data-move-form]");
    if (!form) {
      return;
    }
    var person = form.querySelector("select[name=participant]");
    var group = form.querySelector("select[name=group]");
    var locked = form.querySelector("input[name=locked]");

    round.querySelectorAll("[data-participant]").forEach(function (item) {
      item.setAttribute("draggable", "true");
      item.classList.add("is-draggable");
      item.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", item.getAttribute("data-participant"));
        event.dataTransfer.effectAllowed = "move";
        item.classList.add("is-dragging");
        form.setAttribute("data-dragged-locked", item.getAttribute("data-locked"));
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("is-dragging");
      });
    });

    round.querySelectorAll("[data-group]").forEach(function (card) {
      card.addEventListener("dragover", function (event) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        card.classList.add("is-drop-target");
      });
      card.addEventListener("dragleave", function (event) {
        if (!card.contains(event.relatedTarget)) {
          card.classList.remove("is-drop-target");
        }
      });
      card.addEventListener("drop", function (event) {
        event.preventDefault();
        card.classList.remove("is-drop-target");
        var id = event.dataTransfer.getData("text/plain");
        var already = Array.prototype.some.call(
          card.querySelectorAll("[data-participant]"),
          function (item) { return item.getAttribute("data-participant") === id; });
        if (!id || already) {
          return;
        }
        person.value = id;
        group.value = card.getAttribute("data-group");
        if (locked) {
          // A locked person stays locked where they are dropped.
          locked.checked = form.getAttribute("data-dragged-locked") === "true";
        }
        if (person.value === id && group.value) {
          form.submit();
        }
      });
    });
  }

  function start() {
    document.querySelectorAll("[data-round]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
