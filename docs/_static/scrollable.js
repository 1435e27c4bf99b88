// An output wider than the page scrolls in place; keyboard users must be able to
// reach and scroll it (axe: scrollable-region-focusable), so such outputs take focus.
function padguideFocusableScrolls() {
  for (const el of document.querySelectorAll("div.output")) {
    if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
    }
  }
}
document.addEventListener("DOMContentLoaded", padguideFocusableScrolls);
window.addEventListener("resize", padguideFocusableScrolls);
