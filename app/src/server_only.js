(() => {
  const d = document;
  const toggle = d.querySelector('.menu-toggle');
  const nav = d.getElementById('site-nav');
  const label = d.querySelector('.menu-label');
  if (toggle && nav) {
    toggle.addEventListener('click', () => {
      const open = nav.classList.toggle('open');
      toggle.setAttribute('aria-expanded', String(open));
      if (label) label.textContent = open ? label.dataset.close : label.dataset.menu;
    });
  }
  const lang = d.querySelector('.lang-switch');
  if (lang) {
    lang.addEventListener('click', () => {
      const next = d.documentElement.lang === 'en' ? 'zh-CN' : 'en';
      d.cookie = 'lang=' + next + '; Path=/; Max-Age=31536000; SameSite=Lax';
      location.reload();
    });
  }
  try {
    const waiting = JSON.parse(localStorage.getItem('shanshui.outbox.v1') || '[]');
    const notice = d.getElementById('outbox-waiting');
    if (notice && Array.isArray(waiting) && waiting.length > 0) notice.hidden = false;
  } catch (_) {
    // No storage (a private window): nothing can be waiting.
  }
})();
