// The catalog's only script, an enhancement: a copy button beside what people copy (the pip line, the
// contract). Every page reads the same without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const element of document.querySelectorAll(".copyable")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(element.textContent);
      button.textContent = "Copied";
    });
    element.insertAdjacentElement("afterend", button);
  }
});
