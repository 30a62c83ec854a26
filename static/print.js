// The article's Print button: shown only where script runs (the browser's own Print
// menu does the same without it). The print style adds the address, the review dates
// and the disclaimer, and leaves out the navigation.
document.querySelectorAll(".print-button").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
