// The navigation bar (nav.html): log out without leaving a JSON page behind, and come back to
// the page one was on after logging in.
(function () {
  "use strict";
  document.querySelectorAll("form.site-logout").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var csrf = form.querySelector("input[name=csrf]").value;
      fetch(form.action, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .finally(function () { location.href = form.dataset.home || "/"; });
    });
  });
  if (location.pathname !== "/login") {
    document.querySelectorAll("a.site-login").forEach(function (a) {
      var url = new URL(a.href);
      url.searchParams.set("next", location.pathname + location.search);
      a.href = url.pathname + url.search;
    });
  }
})();
