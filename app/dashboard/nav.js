// Navigation between the app's routes (pushState; app.js re-renders on "allot:navigate").
export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  window.dispatchEvent(new Event("allot:navigate"));
}
