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
  // 证书变更 (图 2.3): ask the assistant's local bridge whether it runs and a
  // key is in. It answers only pages of this platform.
  var bridge = document.getElementById('assistant-status');
  if (bridge) {
    var en = document.documentElement.lang === 'en';
    fetch(bridge.getAttribute('data-bridge'), { mode: 'cors', targetAddressSpace: 'local' })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        bridge.textContent = j.tokens > 0
          ? (en ? 'The assistant is running and a key is inserted.' : '证书助手已运行，已检测到证书介质。')
          : (en ? 'The assistant is running; insert your key.' : '证书助手已运行，请插入证书介质（USB Key）。');
      })
      .catch(function () {
        bridge.textContent = en
          ? 'The assistant is not running: install it, or click “Open the assistant”.'
          : '未检测到证书助手：请先“下载并安装”，或点击“打开证书助手”。';
      });
  }
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
