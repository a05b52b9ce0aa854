/* The take-home summary's Print button (shown only where printing is possible). */
(function () {
  "use strict";
  const button = document.getElementById("summary-print");
  if (!button || typeof window.print !== "function") return;
  button.hidden = false;
  button.addEventListener("click", () => window.print());
})();
