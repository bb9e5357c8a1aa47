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
  // key is in. It answers only pages of this platform. The bridge is on the
  // loopback address: Chromium's Local Network Access fails a request whose
  // declared target space is not the one it reaches ('local' is the LAN), so
  // 'loopback' it is (other browsers ignore the option).
  var bridge = document.getElementById('assistant-status');
  if (bridge) {
    var en = document.documentElement.lang === 'en';
    fetch(bridge.getAttribute('data-bridge'), { mode: 'cors', targetAddressSpace: 'loopback' })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (j) {
        var version = String(j.assistant || '');
        var keys = Number(j.tokens) || 0;
        bridge.className = 'found';
        bridge.textContent = en
          ? 'Assistant found (version ' + version + '): ' +
            (keys > 0 ? keys + ' key(s) inserted.' : 'insert your key.')
          : '已检测到证书助手（版本 ' + version + '）：' +
            (keys > 0 ? '已插入 ' + keys + ' 个证书介质。' : '请插入证书介质（USB Key）。');
      })
      .catch(function () {
        bridge.className = 'missing';
        bridge.textContent = en
          ? 'Assistant not found: install it, or click “Open the assistant”.'
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
