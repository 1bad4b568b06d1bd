// The kiosk's drawn signature: strokes on the canvas become SVG path data ("M x y L x y ...") in the hidden
// field named by data-signature-for. No inline handlers (the Content-Security-Policy forbids them).
document.querySelectorAll("canvas[data-signature-for]").forEach((canvas) => {
  const field = document.getElementById(canvas.dataset.signatureFor);
  const context = canvas.getContext("2d");
  let drawing = false;
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * canvas.width) / box.width;
    const y = ((event.clientY - box.top) * canvas.height) / box.height;
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    const [x, y] = point(event);
    context.beginPath();
    context.moveTo(x, y);
    field.value += `${field.value ? " " : ""}M ${x} ${y}`;
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const [x, y] = point(event);
    context.lineWidth = 3;
    context.lineTo(x, y);
    context.stroke();
    field.value += ` L ${x} ${y}`;
  });
  const stop = () => {
    drawing = false;
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  const clear = canvas.parentElement.querySelector("[data-signature-clear]");
  if (clear) {
    clear.addEventListener("click", () => {
      context.clearRect(0, 0, canvas.width, canvas.height);
      field.value = "";
    });
  }
});
