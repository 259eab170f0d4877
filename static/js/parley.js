/* Parley — small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry Django's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // <button data-confirm="Withdraw your application?"> asks before submitting.
  // Works for buttons, links and forms (data-confirm on the <form>).
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (!el || el.tagName === "FORM") {
      return;
    }
    if (!window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <select data-browser-timezone> (the sign-up form) starts at the browser's own zone.
  function fillBrowserTimezone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    document.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
      var known = Array.prototype.some.call(select.options, function (option) {
        return option.value === zone;
      });
      if (zone && known) {
        select.value = zone;
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fillBrowserTimezone);
  } else {
    fillBrowserTimezone();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }
  }, true);

  // Quick exit: Esc pressed three times within two seconds submits the quick-exit form
  // (a common safeguarding shortcut); the button does the same without JavaScript.
  var escapes = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var now = Date.now();
    escapes = escapes.filter(function (time) { return now - time < 2000; });
    escapes.push(now);
    var form = document.getElementById("quick-exit");
    if (escapes.length >= 3 && form) {
      escapes = [];
      form.submit();
    }
  });
})();
