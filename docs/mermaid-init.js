// The book's sequence diagrams are ```mermaid blocks: GitHub draws them itself; in the
// built book this draws them with Mermaid from a CDN. Offline, they stay as source text.
(function () {
  var blocks = document.querySelectorAll("code.language-mermaid");
  if (blocks.length === 0) {
    return;
  }
  var script = document.createElement("script");
  script.src = "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.min.js";
  script.onload = function () {
    blocks.forEach(function (code) {
      var diagram = document.createElement("div");
      diagram.className = "mermaid";
      diagram.textContent = code.textContent;
      code.parentElement.replaceWith(diagram);
    });
    window.mermaid.initialize({ startOnLoad: false });
    window.mermaid.run();
  };
  document.head.appendChild(script);
})();
