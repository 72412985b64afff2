/* Settings → Webhooks: when the format is Slack or Teams, offer only the events a chat channel
 * may receive (checkboxes marked data-chat="true"); the others are unticked and hidden. The server
 * refuses them anyway: this only spares a round trip. Load deferred (no inline script, for the
 * Content-Security-Policy):
 *   <script src="{% static 'js/webhook-form.js' %}" defer></script>
 */
(function () {
  "use strict";

  function apply(select) {
    var form = select.form;
    if (!form) return;
    var chat = select.value !== "standard";
    form.querySelectorAll('input[type="checkbox"][name="event_types"]').forEach(function (box) {
      var allowed = !chat || box.getAttribute("data-chat") === "true";
      var label = box.closest("label") || box;
      if (!allowed) box.checked = false;
      box.disabled = !allowed;
      label.hidden = !allowed;
    });
  }

  document.querySelectorAll("select[data-webhook-format]").forEach(function (select) {
    select.addEventListener("change", function () { apply(select); });
    apply(select);
  });
})();
