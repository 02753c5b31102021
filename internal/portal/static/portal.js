// scimbridge Admin Portal: progressive enhancement only. Pages work without
// it; it adds copy buttons and the live connection status.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="input-id">. A button without an
  // aria-label is named after what it copies: the input's label.
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    var id = btn.getAttribute("data-copy");
    if (!btn.hasAttribute("aria-label")) {
      var lab = document.querySelector('label[for="' + id + '"]');
      btn.setAttribute("aria-label", "Copy " + (lab ? lab.textContent.trim() : "value"));
    }
    var name = btn.getAttribute("aria-label");
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var input = document.getElementById(id);
      if (!input) return;
      var done = function () {
        var label = btn.textContent;
        btn.textContent = "Copied";
        btn.setAttribute("aria-label", name.replace(/^Copy\b/, "Copied"));
        setTimeout(function () { btn.textContent = label; btn.setAttribute("aria-label", name); }, 1500);
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

  // Times: shown in the viewer's time zone; the UTC time stays on hover
  // (the title) and is what the page shows without the script.
  var thisYear = new Date().getFullYear();
  var opts = { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" };
  var fmt = new Intl.DateTimeFormat(undefined, opts);
  opts.year = "numeric";
  var fmtYear = new Intl.DateTimeFormat(undefined, opts);
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) el.textContent = (d.getFullYear() === thisYear ? fmt : fmtYear).format(d);
  });

  // Data tables: each cell gets its column's name (data-label), so that
  // on a phone the CSS shows rows stacked, each value after its name.
  // Columns whose header is only for screen readers get no label.
  document.querySelectorAll("table").forEach(function (t) {
    var heads = t.querySelectorAll("thead th");
    if (!heads.length) return;
    var names = Array.prototype.map.call(heads, function (th) {
      var hidden = th.querySelector(".skip");
      var text = th.textContent.trim();
      return hidden && hidden.textContent.trim() === text ? "" : text;
    });
    t.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (names[i]) cell.setAttribute("data-label", names[i]);
      });
    });
    t.classList.add("stack");
  });

  // Boxes that scroll sideways (tables on a phone): focusable, so that
  // keyboard users can scroll them, and marked for the edge shadow.
  var markScrolling = function () {
    document.querySelectorAll("table, .table-wrap, pre").forEach(function (el) {
      var ox = getComputedStyle(el).overflowX;
      if ((ox === "auto" || ox === "scroll") && el.scrollWidth > el.clientWidth + 1) {
        if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
        el.classList.add("scrolls");
      } else if (el.classList.contains("scrolls")) {
        el.classList.remove("scrolls");
        el.removeAttribute("tabindex");
      }
    });
  };
  markScrolling();
  window.addEventListener("resize", markScrolling);

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
