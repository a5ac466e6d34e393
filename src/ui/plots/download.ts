/** Saves text as a file through a temporary blob: URL (the page has no server to send it to). */
export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a); // Firefox ignores a click on a link outside the document
  a.click();
  a.remove();
  // The download has started within the second; the URL is not needed after it.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
