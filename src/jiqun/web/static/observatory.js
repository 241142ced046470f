// The observatory's upload form: sent with the session's CSRF token in the X-CSRF-Token header,
// so that the server reads the (large) register as a stream instead of as a 64 KiB form.
"use strict";
(function () {
  function bind() {
    const form = document.getElementById("upload");
    if (!form) return;
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button");
      const working = form.querySelector(".working");
      button.disabled = true;
      if (working) working.hidden = false;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-CSRF-Token": form.dataset.csrf },
          credentials: "same-origin",
        });
        if (response.redirected) {
          window.location.assign(response.url);
          return;
        }
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const main = page.querySelector("main.obs");
        if (main) {
          document.querySelector("main.obs").replaceWith(main);
          bind();
        } else {
          alert(response.status + " " + response.statusText);
        }
      } catch (error) {
        alert(String(error));
      } finally {
        button.disabled = false;
        if (working) working.hidden = true;
      }
    });
  }
  bind();
})();
