// Small enhancements; every page works without them.
(function () {
  // 图 2.12: 提交并支付 stays disabled until both agreements are ticked (the
  // server checks again).
  document.querySelectorAll('form[data-agreements]').forEach(function (form) {
    var boxes = form.querySelectorAll('input[type=checkbox]');
    var submit = form.querySelector('button[type=submit]');
    function update() {
      submit.disabled = !Array.prototype.every.call(boxes, function (b) { return b.checked; });
    }
    boxes.forEach(function (b) { b.addEventListener('change', update); });
    update();
  });
  // 图 2.13: the QR page asks for the result every two seconds and moves on by
  // itself when the phone has paid.
  var poll = document.querySelector('[data-poll]');
  if (poll) {
    setInterval(function () {
      fetch(poll.getAttribute('data-poll'), { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (j) { if (j.state === 'PAID') { window.location = poll.getAttribute('data-done'); } })
        .catch(function () {});
    }, 2000);
  }
})();
