// Logout in Chromium against a ProConnect-shaped provider on another origin (the testkit's
// oidc-provider peer), as an agent would do it: log in through the provider's pages, press
// « Se déconnecter », confirm on the provider's end-of-session page, come back logged out.
//
//   node services/napoleon/tests/browser/logout.mjs <base-url> <provider-login>
//
// The same-origin demo provider of walk.mjs cannot show what the browser refuses to a page
// of Napoléon sending the agent to another origin (the CSP's form-action).

import {
  check, focused, forgetOtherSitesProblems, launch, openPage, pressButton, step, visit,
} from './lib.mjs';

const [base, login] = [(process.argv[2] || '').replace(/\/+$/, ''), process.argv[3]];
if (!/^https?:\/\//.test(base) || !login) {
  console.error('usage : node logout.mjs <url-de-la-plateforme> <identifiant-chez-le-fournisseur>');
  process.exit(2);
}

/** Submits the provider's current form (its own pages: login, consent, logout). */
async function submitProviderForm(page, selector = 'button[type=submit]') {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

async function main() {
  const browser = await launch();
  const page = await openPage(browser);
  try {
    await step('connexion par le fournisseur, sur une autre origine', async () => {
      await visit(page, `${base}/connexion`);
      await check(page, 'connexion-proconnect');
      // ProConnect's own button comes first in the content: the skip link « Contenu », then
      // one Tab, reaches it (before the development provider's plain button).
      await pressButton(page, 'Contenu', { navigates: false });
      await page.keyboard.press('Tab');
      const first = await focused(page);
      const name = (first?.label || first?.name || '').replace(/\s+/g, ' ').trim();
      if (first?.tag !== 'a' || name !== 'S’identifier avec ProConnect') {
        throw new Error(`le premier élément du contenu est ${first?.tag} « ${name} », pas le bouton ProConnect`);
      }
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      if (new URL(page.url()).origin === new URL(base).origin) {
        throw new Error(`le fournisseur devait être sur une autre origine : ${page.url()}`);
      }
      await page.fill('input[name=login]', login);
      await page.fill('input[name=password]', 'indifferent');
      await submitProviderForm(page);
      for (let i = 0; i < 3 && !page.url().startsWith(base); i += 1) {
        await submitProviderForm(page); // consent
      }
      if (!page.url().startsWith(base)) throw new Error(`pas de retour sur la plateforme : ${page.url()}`);
      forgetOtherSitesProblems(page);
      await check(page, 'connecte-par-le-fournisseur');
    });
    await step('déconnexion jusqu’au fournisseur et retour', async () => {
      await pressButton(page, 'Se déconnecter');
      for (let i = 0; i < 3 && !page.url().startsWith(`${base}/deconnexion/retour`); i += 1) {
        if (page.url().startsWith(base)) {
          throw new Error(`la déconnexion n'a pas atteint le fournisseur : la page est ${page.url()}`);
        }
        await submitProviderForm(page, 'button[name=logout]');
      }
      forgetOtherSitesProblems(page);
      const text = await page.textContent('main');
      if (!text.includes('Vous êtes déconnecté')) throw new Error(`page de retour inattendue : ${text}`);
      await check(page, 'deconnecte-du-fournisseur');
      await visit(page, `${base}/administration/membres`, { status: 200 }).catch(() => {});
      if (!new URL(page.url()).pathname.startsWith('/connexion')) {
        throw new Error(`après la déconnexion, une page réservée s'ouvre encore : ${page.url()}`);
      }
    });
    console.log('déconnexion réussie');
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exitCode = 1;
});
