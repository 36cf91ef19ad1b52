// After a form was sent back with errors, take the keyboard and screen reader to the summary
// of what to correct. Without JavaScript the summary is still the first thing in the form.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
