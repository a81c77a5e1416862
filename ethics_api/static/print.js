// The board pack's "Print or save as PDF" button: shown only when this module runs (it does
// nothing without script), it opens the browser's print dialogue, where the A4 print
// stylesheet applies and "Save as PDF" is one of the printers.
for (const button of document.querySelectorAll('.app-print-button')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}
