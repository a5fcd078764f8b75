// The walk through Napoléon's pages in headless Chromium, as the demo agents would do it:
//
//   node services/napoleon/tests/browser/walk.mjs <base-url>
//
// Every page visited is checked with axe-core (WCAG 2.1 A and AA) and kept as a screenshot in
// NAPOLEON_SCREENSHOTS; forms are filled and sent with the keyboard only. Exits non-zero on
// the first failure, naming the step. The platform must serve the demo data with the
// development identity provider (`napoleon demo`, or the `walk` integration test).
//
// To extend the walk, add steps to `STEPS`: each is `[name, async (w) => …]`, run in order,
// where `w.page` is the current page and `w.base` the platform's URL.

import {
  check,
  launch,
  login,
  logout,
  openPage,
  pressButton,
  screenshot,
  selectOption,
  step,
  tabTo,
  typeField,
  visit,
} from './lib.mjs';

/** The demo agents (services/napoleon/src/demo.rs). */
const AGENTS = {
  redacteur: { email: 'paul.bernard@interieur.gouv.fr', name: 'Paul Bernard' },
  administratrice: { email: 'anne.durand@interieur.gouv.fr', name: 'Anne Durand' },
};

/** The agent the administrator gives a role to, from the keyboard. */
const NEW_MEMBER = 'camille.nouvel@interieur.gouv.fr';

/** Fails unless the page contains `text`. */
async function expectText(page, text) {
  const body = await page.locator('body').innerText();
  if (!body.includes(text)) {
    throw new Error(`« ${text} » est absent de ${page.url()}`);
  }
}

/** Fails unless the header names the logged-in agent. */
async function expectAgent(page, agent) {
  const shown = (await page.locator('#agent-connecte').textContent().catch(() => null))?.trim();
  if (shown !== agent.name) {
    throw new Error(`l'en-tête de ${page.url()} montre « ${shown} » au lieu de « ${agent.name} »`);
  }
}

const STEPS = [
  ['accueil public', async ({ page, base }) => {
    await visit(page, `${base}/`);
    await check(page, 'accueil-public');
  }],
  ['connexion du rédacteur (page de connexion et fournisseur d’identité vérifiés)', async ({ page, base }) => {
    await login(page, base, AGENTS.redacteur.email, { onPage: (label) => check(page, label) });
  }],
  ['accueil du rédacteur', async ({ page }) => {
    await expectAgent(page, AGENTS.redacteur);
    await expectText(page, 'Rédacteur');
    await check(page, 'accueil-redacteur');
  }],
  ['en-tête sur petit écran : le menu donne la déconnexion', async ({ page }) => {
    // Below the DSFR's large breakpoint the header's tools are in the « Menu » dialog.
    const desktop = page.viewportSize();
    await page.setViewportSize({ width: 375, height: 800 });
    try {
      await check(page, 'accueil-redacteur-petit-ecran');
      await pressButton(page, 'Menu', { navigates: false });
      await page.locator('#menu-mobile.fr-modal--opened').waitFor();
      await tabTo(page, (i) => i.tag === 'button' && i.name === 'Se déconnecter' && i.visible, {
        what: 'le bouton « Se déconnecter » du menu',
        max: 20,
      });
      await check(page, 'menu-petit-ecran');
      await page.keyboard.press('Escape');
      await page.locator('#menu-mobile.fr-modal--opened').waitFor({ state: 'detached' });
    } finally {
      await page.setViewportSize(desktop);
    }
  }],
  ['déclaration d’accessibilité, par le lien du pied de page', async ({ page }) => {
    await pressButton(page, /^Accessibilité/);
    if (new URL(page.url()).pathname !== '/accessibilite') {
      throw new Error(`le lien « Accessibilité » mène à ${page.url()}`);
    }
    await check(page, 'accessibilite');
  }],
  ['déconnexion du rédacteur', async ({ page }) => {
    await logout(page);
    await expectText(page, 'Vous êtes déconnecté');
    await check(page, 'deconnecte');
  }],
  ['connexion de l’administratrice', async ({ page, base }) => {
    await login(page, base, AGENTS.administratrice.email);
    await expectAgent(page, AGENTS.administratrice);
    await check(page, 'accueil-administratrice');
  }],
  ['membres et rôles, par le bouton de l’accueil', async ({ page }) => {
    await pressButton(page, 'Gérer les membres et les rôles');
    await expectText(page, 'Rôles attribués dans ce ministère');
    await check(page, 'membres');
  }],
  ['attribution d’un rôle sans saisie : erreurs annoncées', async ({ page }) => {
    await pressButton(page, 'Attribuer le rôle');
    await expectText(page, 'Le formulaire contient des erreurs');
    await check(page, 'membres-erreurs', { status: 400 });
  }],
  ['attribution d’un rôle au clavier seul', async ({ page }) => {
    // Focus starts at the top of the page sent back with its errors.
    await typeField(page, 'Adresse électronique professionnelle', NEW_MEMBER);
    await selectOption(page, 'Unité', 'Préfecture du Rhône');
    await selectOption(page, 'Rôle', 'Instructeur');
    await pressButton(page, 'Attribuer le rôle');
    if (new URL(page.url()).pathname !== '/administration/membres') {
      throw new Error(`après l'attribution, la page est ${page.url()}`);
    }
    const row = page.locator('tbody tr', { hasText: NEW_MEMBER });
    if ((await row.count()) !== 1) throw new Error(`${NEW_MEMBER} n'apparaît pas dans la liste des membres`);
    const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
    if (cells[1] !== 'Préfecture du Rhône' || cells[2] !== 'Instructeur') {
      throw new Error(`ligne de ${NEW_MEMBER} inattendue : ${cells.join(' | ')}`);
    }
    await check(page, 'membres-role-attribue');
  }],
  ['catalogue des distinctions', async ({ page, base }) => {
    await visit(page, `${base}/administration/catalogue`);
    await expectText(page, 'Documents du catalogue');
    await check(page, 'catalogue');
  }],
  ['déconnexion de l’administratrice', async ({ page }) => {
    await logout(page);
    await expectText(page, 'Vous êtes déconnecté');
  }],
  ['contrôle de l’outil : axe signale une violation introduite exprès', async ({ page, base }) => {
    // Guards against a check that passes because axe did not run.
    await visit(page, `${base}/accessibilite`);
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = '/static/dsfr/favicon/favicon.svg';
      document.querySelector('main').append(img);
    });
    const outcome = await check(page, 'controle-violation-attendue').then(
      () => 'aucune erreur',
      (error) => error.message,
    );
    if (!outcome.includes('image-alt')) {
      throw new Error(`une image sans alternative aurait dû être signalée (image-alt) ; obtenu : ${outcome}`);
    }
  }],
];

async function main() {
  const base = (process.argv[2] || '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) {
    console.error('usage : node walk.mjs <url-de-la-plateforme>   (par exemple http://127.0.0.1:8080)');
    process.exit(2);
  }
  const browser = await launch();
  const page = await openPage(browser);
  const walk = { page, base };
  try {
    for (const [name, run] of STEPS) {
      await step(name, () => run(walk));
    }
    console.log(`${STEPS.length} étapes réussies`);
  } catch (error) {
    const shot = await screenshot(page, 'echec').catch(() => null);
    if (shot) console.error(`capture de la page en échec : ${shot}`);
    throw error;
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exitCode = 1;
});
