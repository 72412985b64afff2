/* Copy buttons. Progressive enhancement: the value is always in the page as selectable text; the
 * button appears only where the browser offers the clipboard (secure contexts).
 *
 * Markup: <code id="acs-url">https://…</code>
 *         <button type="button" class="secondary" data-copy="acs-url"
 *                 data-copied="Copied." data-copy-failed="Could not copy: …" hidden>Copy</button>
 *         <span role="status" data-copy-status="acs-url"></span>
 * The button's data-copied and data-copy-failed hold the status texts, translated in the template.
 * Load deferred (no inline script anywhere, for the Content-Security-Policy):
 *   <script src="{% static 'js/copy.js' %}" defer></script>
 */
(function () {
  "use strict";
  if (!navigator.clipboard || !navigator.clipboard.writeText) return;

  function say(id, text) {
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) status.textContent = text;
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-copy");
      var source = document.getElementById(id);
      if (!source) return;
      var text = "value" in source && source.value !== undefined ? source.value : source.textContent;
      navigator.clipboard.writeText(text.trim()).then(
        function () { say(id, button.getAttribute("data-copied") || ""); },
        function () { say(id, button.getAttribute("data-copy-failed") || ""); }
      );
    });
  });
})();
