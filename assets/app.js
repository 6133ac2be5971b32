// kinerja web interface: the only script. Optional everywhere: every page works without it.
// 1. The supervisor page follows the live feed (Server-Sent Events, with the session cookie) and,
//    on each change, fetches its live sections rendered by the server and swaps them in place,
//    leaving a section alone while the user is typing in it.
// 2. The evidence field computes a file's SHA-256 on the device (nothing is uploaded).
// 3. A range input shows its value in its <output>.
"use strict";

(function () {
  function followLive(root) {
    var feedUrl = root.getAttribute("data-live-feed");
    var partsUrl = root.getAttribute("data-live-parts");
    var status = document.getElementById("status-langsung");
    if (!feedUrl || !partsUrl || !window.EventSource) { return; }
    var pending = false;
    var dirty = new WeakSet();
    root.addEventListener("input", function (e) {
      var section = e.target.closest("[data-live]");
      if (section) { dirty.add(section); }
    });
    function busy(section) {
      return dirty.has(section) || section.contains(document.activeElement);
    }
    function say(key, on) {
      if (!status) { return; }
      var text = status.getAttribute(key) || "";
      if (key === "data-text-updated") {
        text += " " + new Date().toLocaleTimeString();
      }
      status.textContent = text;
      status.classList.toggle("on", on);
    }
    function refresh() {
      if (pending) { return; }
      pending = true;
      fetch(partsUrl, { credentials: "same-origin", headers: { "accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          doc.querySelectorAll("[data-live]").forEach(function (fresh) {
            var old = document.getElementById(fresh.id);
            if (old && !busy(old)) { old.replaceWith(document.importNode(fresh, true)); }
          });
          root.setAttribute("data-updated", String(Date.now()));
          say("data-text-updated", true);
        })
        .catch(function () { /* the next change tries again */ })
        .then(function () { pending = false; });
    }
    var source = new EventSource(feedUrl, { withCredentials: true });
    source.addEventListener("ready", function () { say("data-text-on", true); root.setAttribute("data-live-ready", "1"); });
    source.addEventListener("change", refresh);
    source.addEventListener("reset", refresh);
    source.onerror = function () { say("data-text-off", false); };
  }

  function hashFiles() {
    document.querySelectorAll("input[type=file][data-hash-into]").forEach(function (input) {
      input.addEventListener("change", function () {
        var target = document.getElementById(input.getAttribute("data-hash-into"));
        var file = input.files && input.files[0];
        if (!target || !file || !window.crypto || !crypto.subtle) { return; }
        file.arrayBuffer()
          .then(function (buf) { return crypto.subtle.digest("SHA-256", buf); })
          .then(function (digest) {
            target.value = Array.from(new Uint8Array(digest))
              .map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
          });
      });
    });
  }

  function rangeOutputs() {
    document.querySelectorAll("input[type=range][data-output]").forEach(function (input) {
      var out = document.getElementById(input.getAttribute("data-output"));
      if (!out) { return; }
      input.addEventListener("input", function () { out.textContent = input.value; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("langsung");
    if (live) { followLive(live); }
    hashFiles();
    rangeOutputs();
  });
})();
