// The live board follows its server-sent events: each "board" event carries the board's HTML (rendered
// and escaped by the server), "bye" ends a stream and the next one is opened. No library, no CDN.
(function () {
  "use strict";
  var root = document.getElementById("live-board");
  var status = document.getElementById("live-status");
  if (!root || !status || !window.EventSource) { return; }
  function connect() {
    var source = new EventSource(root.getAttribute("data-events"));
    source.addEventListener("board", function (event) {
      root.innerHTML = event.data;
      root.setAttribute("data-updates", String(Number(root.getAttribute("data-updates") || "0") + 1));
    });
    source.addEventListener("open", function () { status.textContent = status.getAttribute("data-live"); });
    source.addEventListener("bye", function () { source.close(); window.setTimeout(connect, 200); });
    // The browser retries by itself (the stream's "retry"); the page says so meanwhile.
    source.addEventListener("error", function () { status.textContent = status.getAttribute("data-lost"); });
  }
  connect();
}());
