// Upload progress for the forms marked `napoleon-upload` (issue 17: « progress shown »).
//
// Progressive enhancement: without JavaScript the same form posts as usual. With it, the form
// is sent by XMLHttpRequest so the browser reports how much of the body has left; the bar
// moves and a status line (a polite live region) says it, every quarter. The answer is then
// shown as a native submission would: an accepted upload redirects to the step (followed);
// a refusal (the step with its errors, 422) replaces the page's body, focus on the errors'
// summary. A cut connection says so and keeps the page as it was: nothing was attached.
(() => {
  'use strict';

  const SPOKEN_EVERY = 25;

  function say(form, text, failed) {
    const status = form.querySelector('[data-upload-status]');
    if (!status) return;
    status.textContent = text;
    status.classList.toggle('fr-error-text', Boolean(failed));
  }

  function showPage(html) {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    if (!doc.body || !doc.querySelector('main')) return false;
    document.title = doc.title;
    document.body.replaceWith(document.adoptNode(doc.body));
    // Scripts of a parsed document do not run: the new forms are enhanced here.
    enhanceAll();
    const summary = document.getElementById('resume-erreurs') || document.querySelector('h1');
    if (summary) {
      if (!summary.hasAttribute('tabindex')) summary.setAttribute('tabindex', '-1');
      summary.focus();
    }
    return true;
  }

  function problemText(xhr) {
    try {
      const body = JSON.parse(xhr.responseText);
      if (body && typeof body.detail === 'string') return body.detail;
    } catch (_) {
      // Not a problem+json answer: the generic sentence below.
    }
    return `L'envoi a été refusé (erreur ${xhr.status}) : aucun fichier n'a été joint.`;
  }

  function enhance(form) {
    if (form.dataset.uploadEnhanced) return;
    form.dataset.uploadEnhanced = '1';
    const box = form.querySelector('.napoleon-upload-progress');
    const bar = box && box.querySelector('progress');
    if (!bar || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;
    form.addEventListener('submit', (event) => {
      const input = form.querySelector('input[type="file"]');
      // No file chosen: the server's answer names the field, as without JavaScript.
      if (!input || !input.files || input.files.length === 0) return;
      event.preventDefault();
      const button = form.querySelector('button[type="submit"]');
      const release = (text) => {
        box.hidden = true;
        if (button) button.disabled = false;
        say(form, text, true);
      };
      if (button) button.disabled = true;
      box.hidden = false;
      bar.value = 0;
      let spoken = 0;
      say(form, 'Envoi en cours : 0 %');
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable || e.total === 0) return;
        const percent = Math.floor((e.loaded * 100) / e.total);
        bar.value = percent;
        if (percent >= spoken + SPOKEN_EVERY) {
          spoken = percent - (percent % SPOKEN_EVERY);
          say(form, `Envoi en cours : ${percent} %`);
        }
      });
      xhr.upload.addEventListener('load', () => {
        bar.value = 100;
        say(form, 'Fichiers envoyés : vérification en cours…');
      });
      xhr.addEventListener('load', () => {
        const sent = new URL(form.action, window.location.href);
        const answered = new URL(xhr.responseURL || sent.href, window.location.href);
        if (xhr.status < 400 && answered.pathname !== sent.pathname) {
          // Accepted: the redirect to the step was followed; show it as a navigation would.
          window.location.assign(answered.href);
          return;
        }
        const type = xhr.getResponseHeader('Content-Type') || '';
        if (type.startsWith('text/html') && showPage(xhr.responseText)) return;
        release(problemText(xhr));
      });
      const cut = () =>
        release(
          "L'envoi n'a pas abouti (connexion interrompue) : aucun fichier n'a été joint. " +
            'Vérifiez votre connexion, puis recommencez.',
        );
      xhr.addEventListener('error', cut);
      xhr.addEventListener('abort', cut);
      xhr.addEventListener('timeout', cut);
      xhr.send(new FormData(form));
    });
  }

  function enhanceAll() {
    document.querySelectorAll('form.napoleon-upload').forEach(enhance);
  }

  enhanceAll();
})();
