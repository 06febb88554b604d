/* Paygate dashboard: Copy buttons (Clipboard API). Loaded with `defer`; without script the
   buttons stay hidden and the values can be selected by hand.

   A button `data-copy="ID"` copies the text of element #ID. When the page does not show it
   (a masked API key), `data-copy-from="FORM"` names the form that reveals it: the form is
   posted in the background (its CSRF token included) and #ID read from the answer, so the
   value is copied without being shown. `data-copy-status="ID"` says what happened. */
(function () {
  "use strict";

  async function valueFor(button) {
    var id = button.dataset.copy;
    var shown = document.getElementById(id);
    if (shown) {
      return shown.textContent.trim();
    }
    var form = document.getElementById(button.dataset.copyFrom || "");
    if (!form) {
      throw new Error("nothing to copy");
    }
    var answer = await fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
    });
    var page = new DOMParser().parseFromString(await answer.text(), "text/html");
    var found = page.getElementById(id);
    if (!answer.ok || !found) {
      throw new Error("not revealed");
    }
    return found.textContent.trim();
  }

  function say(button, text) {
    var status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  async function copy(button) {
    try {
      await navigator.clipboard.writeText(await valueFor(button));
      say(button, "Copied");
    } catch (error) {
      say(button, "Could not copy: select the value and copy it by hand");
    }
  }

  if (!navigator.clipboard || !window.fetch) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
  });
})();
