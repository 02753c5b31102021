// scimbridge Admin Portal: progressive enhancement only. Pages work without
// it; it adds copy buttons and the live connection status.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="input-id">.
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.getAttribute("data-copy"));
      if (!input) return;
      var done = function () {
        var label = btn.textContent;
        btn.textContent = "Copied";
        btn.setAttribute("aria-live", "polite");
        setTimeout(function () { btn.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { input.select(); document.execCommand("copy"); done(); });
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
  });

  // Live status: <section data-status-url="…"> polls a JSON endpoint and
  // updates the elements marked data-field.
  var panel = document.querySelector("[data-status-url]");
  if (panel) {
    var url = panel.getAttribute("data-status-url");
    var set = function (name, value) {
      panel.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) { el.textContent = value; });
    };
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          panel.classList.remove("waiting", "connected", "disabled", "refused", "errors", "stalled");
          panel.classList.add(s.state);
          var wrap = panel.querySelector("[data-link-wrap]");
          if (wrap) {
            wrap.hidden = !s.link;
            if (s.link) wrap.querySelector("a").setAttribute("href", s.link);
          }
          (s.steps || []).forEach(function (st) {
            var li = document.querySelector('[data-steps] [data-step="' + st.key + '"]');
            if (!li) return;
            li.classList.toggle("done", st.done);
            var state = li.querySelector("[data-step-state]");
            if (state) state.textContent = st.done ? " (done)" : " (to do)";
          });
          set("headline", s.headline);
          set("detail", s.detail);
          set("last_request", s.last_request);
          set("users", String(s.users));
          set("groups", String(s.groups));
        })
        .catch(function () {})
        .finally(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 2000);
  }
})();
