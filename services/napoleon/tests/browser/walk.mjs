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

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  check,
  chooseFiles,
  chooseRadio,
  launch,
  login,
  logout,
  openPage,
  pressButton,
  screenshot,
  screenshotDir,
  selectOption,
  setCheckbox,
  step,
  tabTo,
  typeField,
  visit,
  waitForText,
} from './lib.mjs';

/** The EICAR antivirus test string: every antivirus reports it, none is harmed by it. */
// A registry file for the import: one good row, one with an impossible birth date.
const REGISTRY_FILE = [
  "Nom de naissance;Nom d'usage;Prénoms;Sexe;Date de naissance;Lieu de naissance;Distinction;Grade;Date du décret;Référence JO;Date de réception;Unité proposante",
  'FONTAINE;;Sylvie Anne;F;12/05/1962;Lyon (Rhône);ONM;chevalier;14/11/2012;JORF n° 0266;01/02/2013;69',
  'GARNIER;;Paul;M;31/02/1958;Bron (Rhône);LH;chevalier;13/07/2015;JORF n° 0161;;',
].join('\r\n');
// A file of proposals for the import: one row to complete online, one with an impossible
// birth date.
const PROPOSALS_FILE = [
  "Nom de naissance;Prénoms;Sexe;Date de naissance;Lieu de naissance;Nationalité;Département de résidence;Carrière 1 début;Carrière 1 nature;Carrière 1 fonction",
  'PERRIN;Odile;F;09/10/1959;Villeurbanne;FR;69;01/09/1981;Service public;Infirmière, hospices civils de Lyon',
  'CARON;Marc;M;31/04/1966;Vénissieux;FR;69;;;',
].join('\r\n');
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/**
 * A small valid one-page PDF (as napoleon::samples::sample_pdf writes it), `padding` bytes
 * heavier with comment lines (a file that takes a while to send).
 */
function pdf(title, padding = 0) {
  const text = `BT /F1 18 Tf 72 720 Td (${title}) Tj ET\n`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  for (let sent = 0; sent < padding; sent += 80) out += `%${'x'.repeat(78)}\n`;
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** The demo agents (services/napoleon/src/demo.rs). */
const AGENTS = {
  redacteur: { email: 'paul.bernard@interieur.gouv.fr', name: 'Paul Bernard' },
  administratrice: { email: 'anne.durand@interieur.gouv.fr', name: 'Anne Durand' },
  instructrice: { email: 'claire.martin@interieur.gouv.fr', name: 'Claire Martin' },
  valideur: { email: 'hugo.leroy@interieur.gouv.fr', name: 'Hugo Leroy' },
  integratrice: { email: 'sophie.petit@interieur.gouv.fr', name: 'Sophie Petit' },
  dpo: { email: 'denis.robin@interieur.gouv.fr', name: 'Denis Robin' },
};

/** jj/mm/aaaa, `days` from today. */
function frDate(days = 0) {
  const d = new Date(Date.now() + days * 86400000);
  return `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
}

/** What the walk learns on the way (the new dossier's number and page). */
const memo = {};

/** Labels carry « * » for required fields: match on their start. */
const label = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

/** Fails unless the dossier's state badge says `state` (badges are upper-cased by CSS). */
async function expectState(page, state) {
  const shown = (await page.locator('#etat-dossier').textContent())?.trim();
  if (shown !== state) throw new Error(`état affiché « ${shown} » au lieu de « ${state} »`);
}

/** Fails unless the page's path is `path`. */
function expectPath(page, path) {
  const actual = new URL(page.url()).pathname;
  if (!(path instanceof RegExp ? path.test(actual) : actual === path)) {
    throw new Error(`page attendue ${path}, obtenue ${page.url()}`);
  }
}

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
  ['création d’une campagne au clavier, avec une erreur d’abord', async ({ page, base }) => {
    await visit(page, `${base}/intake/campagnes`);
    await check(page, 'campagnes');
    await pressButton(page, 'Créer une campagne');
    await check(page, 'campagne-nouvelle');
    const year = new Date().getUTCFullYear() + 1;
    await selectOption(page, label('Distinction'), 'Ordre national du Mérite');
    await typeField(page, label('Date de la promotion'), `15/05/${year}`);
    await typeField(page, label('Ouverture du dépôt'), frDate(0));
    await typeField(page, label('Clôture du dépôt'), frDate(-1));
    await pressButton(page, 'Créer la campagne');
    await expectText(page, 'Clôture du dépôt : elle doit suivre l\'ouverture.');
    await check(page, 'campagne-erreurs');
    await typeField(page, label('Clôture du dépôt'), frDate(60));
    await pressButton(page, 'Créer la campagne');
    expectPath(page, '/intake/campagnes');
    await expectText(page, 'La campagne a été créée.');
    await expectText(page, `Ordre national du Mérite — promotion du 15/05/${year}`);
  }],
  ['déconnexion de l’administratrice', async ({ page }) => {
    await logout(page);
    await expectText(page, 'Vous êtes déconnecté');
  }],
  // One nomination end to end -------------------------------------------------------------
  ['le rédacteur ouvre ses dossiers depuis l’accueil', async ({ page, base }) => {
    await login(page, base, AGENTS.redacteur.email);
    await expectText(page, 'Ce qui vous attend');
    await pressButton(page, 'Mes dossiers de proposition');
    expectPath(page, '/intake/dossiers');
    await check(page, 'mes-dossiers');
  }],
  ['création d’un dossier dans la campagne ouverte', async ({ page }) => {
    await selectOption(page, label('Campagne'), /^Légion d'honneur — promotion du 14 juillet/);
    await pressButton(page, 'Créer un dossier');
    expectPath(page, /^\/intake\/dossiers\/[0-9a-f-]+\/etape\/1$/);
    memo.draft = new URL(page.url()).pathname.replace(/\/etape\/1$/, '');
    await check(page, 'etape-1-candidat');
  }],
  ['étape 1 au clavier, avec une date invalide : erreurs annoncées, rien de perdu', async ({ page }) => {
    await typeField(page, label('Nom de naissance'), 'Lambert');
    await typeField(page, label('Prénoms'), 'Jeanne Marie');
    await selectOption(page, label('Sexe'), 'Femme');
    await typeField(page, label('Date de naissance'), '31/02/1962');
    await typeField(page, label('Lieu de naissance'), 'Lyon (Rhône)');
    await typeField(page, label('Nationalité'), 'FR');
    await typeField(page, label('Département de résidence'), '69');
    await pressButton(page, 'Continuer');
    await expectText(page, 'Le formulaire contient 1 erreur(s)');
    await expectText(page, '« 31/02/1962 » n\'est pas une date valide');
    const kept = await page.inputValue('#birth_name');
    if (kept !== 'Lambert') throw new Error(`le nom saisi est perdu : « ${kept} »`);
    await check(page, 'etape-1-erreurs');
  }],
  ['étape 1 corrigée', async ({ page }) => {
    await typeField(page, label('Date de naissance'), '28/02/1962');
    await pressButton(page, 'Continuer');
    expectPath(page, `${memo.draft}/etape/2`);
    await check(page, 'etape-2-carriere');
  }],
  ['étape 2 : carrière', async ({ page }) => {
    await typeField(page, label('Début'), '01/09/1984');
    await selectOption(page, label('Nature'), 'Service public');
    await typeField(page, label('Fonction et employeur'), 'Ingénieure, puis directrice des services techniques de la ville de Lyon');
    await pressButton(page, 'Continuer');
    expectPath(page, `${memo.draft}/etape/3`);
    await check(page, 'etape-3-distinctions');
  }],
  ['étape 3 : distinctions détenues', async ({ page }) => {
    await selectOption(page, label('Distinction'), 'Ordre national du Mérite');
    await selectOption(page, label('Grade ou échelon'), 'chevalier');
    await typeField(page, label('Date du décret'), '14/11/2008');
    await typeField(page, label('Date de réception'), '02/02/2009');
    await pressButton(page, 'Continuer');
    expectPath(page, `${memo.draft}/etape/4`);
    await check(page, 'etape-4-proposition');
  }],
  ['étape 4 : grade proposé et exposé des motifs', async ({ page }) => {
    await selectOption(page, label('Grade proposé'), 'chevalier');
    await typeField(page, label("Date de l'extrait de casier judiciaire"), frDate(-5));
    await typeField(page, label('Exposé des motifs'), 'Quarante ans au service des habitants de Lyon ; pilotage des travaux après les inondations de 2003.');
    await pressButton(page, 'Continuer');
    expectPath(page, `${memo.draft}/etape/5`);
  }],
  ['étape 5 : les pièces demandées, un type refusé d’après son contenu', async ({ page }) => {
    await expectText(page, 'Extrait du bulletin n° 2 du casier judiciaire');
    await check(page, 'etape-5-pieces');
    await chooseFiles(page, /État des services/, [
      { name: 'photo.pdf', mimeType: 'application/pdf', buffer: Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1') },
    ]);
    // Sent by script (upload.js): the refusal replaces the page without a navigation.
    await pressButton(page, /^Joindre : État des services/, { navigates: false });
    await page.locator('#resume-erreurs').waitFor();
    await expectText(page, '« photo.pdf »');
    await expectText(page, 'PDF, JPEG, PNG, ODT ou DOCX');
    const focused = await page.evaluate(() => document.activeElement?.id);
    if (focused !== 'resume-erreurs') {
      throw new Error(`après le refus, le focus est sur « ${focused} », pas sur le résumé des erreurs`);
    }
    await check(page, 'etape-5-piece-refusee', { status: 422 });
  }],
  ['étape 5 : un fichier infecté, mis en quarantaine par l’antivirus', async ({ page }) => {
    await chooseFiles(page, /Extrait du bulletin/, [
      { name: 'casier.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(EICAR, 'latin1')]) },
    ]);
    await pressButton(page, /^Joindre : Extrait du bulletin/);
    await expectText(page, 'Pièce jointe.');
    await waitForText(page, 'Infectée : mise en quarantaine');
    await expectText(page, "L'antivirus a détecté une menace");
    await check(page, 'etape-5-piece-infectee');
  }],
  ['étape 5 : les pièces jointes, analysées saines, une téléchargée', async ({ page }) => {
    const pieces = [
      [/Extrait du bulletin/, 'casier-judiciaire.pdf', /^Joindre : Extrait du bulletin/],
      [/Pièce d'état civil/, 'acte-de-naissance.pdf', /^Joindre : Pièce d'état civil/],
      [/État des services/, 'etat-des-services.pdf', /^Joindre : État des services/],
    ];
    for (const [field, name, button] of pieces) {
      if (name === 'etat-des-services.pdf') {
        // A slow line (the browser's own throttling): the progress shows while the file leaves.
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024,
        });
        await chooseFiles(page, field, [{ name, mimeType: 'application/pdf', buffer: pdf(name, 1536 * 1024) }]);
        const loaded = page.waitForEvent('load');
        await pressButton(page, button, { navigates: false });
        await page.getByText(/Envoi en cours : ([2-9]\d|100) %/).waitFor();
        await page.locator('progress:visible').waitFor();
        await check(page, 'etape-5-envoi-en-cours');
        await loaded;
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
        });
        await cdp.detach();
      } else {
        await chooseFiles(page, field, [{ name, mimeType: 'application/pdf', buffer: pdf(name) }]);
        await pressButton(page, button);
      }
      await expectText(page, 'Pièce jointe.');
    }
    await waitForText(page, 'Analysée : saine', { times: 3 });
    // Downloaded from the keyboard: as an attachment, named as it was sent.
    const downloaded = page.waitForEvent('download');
    await pressButton(page, /^etat-des-services\.pdf/, { navigates: false });
    const file = await downloaded;
    if (file.suggestedFilename() !== 'etat-des-services.pdf') {
      throw new Error(`pièce téléchargée sous le nom « ${file.suggestedFilename()} »`);
    }
    await check(page, 'etape-5-pieces-jointes');
    await pressButton(page, 'Continuer');
    expectPath(page, `${memo.draft}/etape/6`);
  }],
  ['étape 6 : éligibilité vérifiée avant le dépôt, le projet de mémoire téléchargé', async ({ page }) => {
    await expectText(page, 'Conditions statutaires remplies');
    // The demo holds a Lambert Jeanne Marie born a year earlier: named, never blocking.
    // (The badge is shown in capitals: its text is read as written.)
    const flagged = await page.locator('#doublons').textContent();
    if (!flagged.includes('Homonyme possible, à vérifier')) {
      throw new Error(`homonyme non signalé : « ${flagged} »`);
    }
    await check(page, 'etape-6-verification');
    const downloaded = page.waitForEvent('download');
    await pressButton(page, /^Projet de mémoire de proposition/, { navigates: false });
    const file = await downloaded;
    if (!/^memoire-de-proposition-projet-.*\.pdf$/.test(file.suggestedFilename())) {
      throw new Error(`mémoire téléchargé sous le nom « ${file.suggestedFilename()} »`);
    }
    const bytes = await readFile(await file.path());
    if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('le mémoire n’est pas un PDF');
    // Kept beside the screenshots: the walk's test reads it back (pdftotext, pdftoppm).
    await writeFile(join(screenshotDir(), 'memoire-projet.pdf'), bytes);
  }],
  ['dépôt : numéro et récépissé', async ({ page }) => {
    await pressButton(page, 'Déposer le dossier');
    expectPath(page, `${memo.draft}/recepisse`);
    memo.number = (await page.locator('#numero-dossier').textContent()).trim();
    if (!/^LH-\d{4}-07-\d{4}$/.test(memo.number)) throw new Error(`numéro inattendu : ${memo.number}`);
    memo.id = memo.draft.split('/').pop();
    await expectText(page, 'Déposé');
    await check(page, 'recepisse');
    await logout(page);
  }],
  ['l’instructrice prend en charge le dossier depuis sa file', async ({ page, base }) => {
    await login(page, base, AGENTS.instructrice.email);
    await pressButton(page, 'Dossiers à instruire');
    await check(page, 'file-a-traiter');
    await pressButton(page, memo.number);
    expectPath(page, `/instruction/dossiers/${memo.id}`);
    await expectText(page, 'Conditions statutaires remplies');
    await check(page, 'dossier-depose');
    await pressButton(page, 'Prendre en charge');
    await expectText(page, 'Vous avez pris en charge ce dossier');
  }],
  ['l’instructrice retrouve le dossier par la recherche, accents et majuscules indifférents', async ({ page, base }) => {
    await visit(page, `${base}/instruction/dossiers`);
    await pressButton(page, /^Rechercher des dossiers/);
    expectPath(page, '/instruction/recherche');
    await typeField(page, label('Nom, prénom ou numéro du dossier'), 'lambert jeanne');
    await typeField(page, label('Date de naissance'), '28/02/1962');
    await pressButton(page, 'Rechercher');
    await expectText(page, '1 dossier trouvé');
    await expectText(page, memo.number);
    await check(page, 'recherche-dossiers');
    await pressButton(page, memo.number);
    expectPath(page, `/instruction/dossiers/${memo.id}`);
  }],
  ['l’instructrice écarte l’homonyme signalé, avec une observation', async ({ page }) => {
    await expectText(page, 'Doublons possibles');
    await typeField(page, label('Observation (facultative)'), 'Dates de naissance différentes, vérifiées auprès de la mairie.');
    await pressButton(page, 'Écarter');
    await expectText(page, 'Votre examen du doublon possible est enregistré');
    await expectText(page, 'Doublon écarté (une autre personne)');
    await check(page, 'doublon-ecarte');
  }],
  ['l’instructrice rend un avis favorable', async ({ page }) => {
    await chooseRadio(page, label('Avis'), 'Favorable');
    await typeField(page, label("Motivation de l'avis"), 'Mérites éminents, avis favorable du maire.');
    await pressButton(page, "Enregistrer l'avis");
    await expectText(page, 'Votre avis est enregistré');
    await expectText(page, 'Avis rendu');
    // Four eyes: she cannot validate her own opinion.
    if (await page.getByRole('button', { name: 'Valider et transmettre au ministère' }).count()) {
      throw new Error('l’auteure de l’avis se voit proposer la validation de son propre avis');
    }
    await check(page, 'dossier-avis-rendu');
    await logout(page);
  }],
  ['le valideur valide et transmet au ministère', async ({ page, base }) => {
    await login(page, base, AGENTS.valideur.email);
    await visit(page, `${base}/instruction/dossiers?onglet=a-traiter`);
    await pressButton(page, memo.number);
    await pressButton(page, 'Valider et transmettre au ministère');
    await expectState(page, 'Transmis au ministère');
    await expectText(page, 'Validé et transmis au ministère');
    await check(page, 'dossier-transmis');
    await logout(page);
  }],
  ['l’intégratrice ouvre la liste de la campagne', async ({ page, base }) => {
    await login(page, base, AGENTS.integratrice.email);
    await pressButton(page, 'Décisions par campagne');
    expectPath(page, '/decisions/campagnes');
    await check(page, 'decisions-campagnes');
    await pressButton(page, /^Légion d'honneur — promotion du 14 juillet/);
    expectPath(page, /^\/decisions\/campagnes\/[0-9a-f-]+$/);
    memo.board = new URL(page.url()).pathname;
    await expectText(page, memo.number);
    await check(page, 'decisions-liste');
  }],
  ['classement et décisions, au clavier', async ({ page, base }) => {
    const table = await page.locator('table', { hasText: memo.number }).innerText();
    const others = [...new Set(table.match(/LH-\d{4}-07-\d{4}/g))].filter((n) => n !== memo.number);
    await selectOption(page, label(`Décision sur le dossier ${memo.number}`), 'Retenu');
    await typeField(page, label(`Motivation de la décision sur le dossier ${memo.number}`), 'Retenue dans le contingent : parcours exemplaire.');
    await pressButton(page, label(`Enregistrer la décision sur le dossier ${memo.number}`));
    for (const other of others) {
      await selectOption(page, label(`Décision sur le dossier ${other}`), 'Ajourné');
      await typeField(page, label(`Motivation de la décision sur le dossier ${other}`), 'À représenter à la prochaine promotion.');
      await pressButton(page, label(`Enregistrer la décision sur le dossier ${other}`));
    }
    await expectText(page, '100 % de femmes parmi les retenus');
    await check(page, 'decisions-decidees');
  }],
  ['clôture de la liste puis publication au Journal officiel', async ({ page }) => {
    await pressButton(page, 'Clôturer la liste');
    await typeField(page, label('Date du décret'), frDate(0));
    await typeField(page, label('Référence au Journal officiel'), 'JORF n° 0163 du 15 juillet');
    await pressButton(page, 'Enregistrer la publication');
    await expectText(page, 'Lauréats inscrits au registre par cette publication');
    await check(page, 'decisions-publiees');
  }],
  ['réception (prise de rang) du nouveau lauréat', async ({ page }) => {
    await typeField(page, label('Date de réception (prise de rang)'), frDate(0));
    await pressButton(page, label('Enregistrer la réception'));
    await check(page, 'decisions-reception');
  }],
  ['le registre montre la nouvelle chevalière', async ({ page, base }) => {
    await visit(page, `${base}/promotion/registre`);
    // Searched by keyboard, accents and case ignored.
    await typeField(page, label('Nom ou prénom'), 'lambert jéanne');
    await pressButton(page, 'Rechercher');
    await expectText(page, 'LAMBERT Jeanne Marie');
    await check(page, 'registre');
  }],
  ['import du registre : le fichier vérifié, une ligne refusée', async ({ page }) => {
    // From the registry, by keyboard; the file as a French Excel saves it (`;`).
    await pressButton(page, /^Importer des lauréats/);
    await chooseFiles(page, /Fichier du registre/, [
      { name: 'anciens-laureats.csv', mimeType: 'text/csv', buffer: Buffer.from(REGISTRY_FILE) },
    ]);
    await pressButton(page, 'Vérifier le fichier');
    await waitForText(page, '2 ligne(s) lue(s) : 1 valide(s), 1 refusée(s).');
    await expectText(page, 'date invalide : JJ/MM/AAAA attendu');
    await expectText(page, 'rien n');
    await check(page, 'import-verification');
  }],
  ['import du registre : les lignes valides importées depuis le rapport', async ({ page }) => {
    await pressButton(page, /^Importer ce fichier/);
    await waitForText(page, '1 distinction(s) ajoutée(s) au registre, 0 déjà présente(s).');
    await check(page, 'import-termine');
  }],
  ['import du registre : la ligne corrigée, le fichier envoyé de nouveau', async ({ page, base }) => {
    await visit(page, `${base}/decisions/registre/import`);
    await chooseFiles(page, /Fichier du registre/, [
      { name: 'anciens-laureats-corrige.csv', mimeType: 'text/csv', buffer: Buffer.from(REGISTRY_FILE.replace('31/02/1958', '28/02/1958')) },
    ]);
    await pressButton(page, 'Importer');
    await waitForText(page, '1 distinction(s) ajoutée(s) au registre, 1 déjà présente(s).');
    await visit(page, `${base}/decisions/registre/import`);
    await expectText(page, 'anciens-laureats-corrige.csv');
    await check(page, 'import-registre');
  }],
  ['le registre exporté en XLSX puis en ODS, avec les colonnes choisies', async ({ page, base }) => {
    for (const [format, choice] of [['xlsx', /^XLSX/], ['ods', /^ODS/]]) {
      await visit(page, `${base}/promotion/registre?nom=fontaine`);
      await pressButton(page, /^Exporter les lauréats trouvés/);
      await expectText(page, 'Nom ou prénom : « fontaine »');
      await chooseRadio(page, 'Format du fichier', choice);
      await setCheckbox(page, 'Nationalité', false);
      await setCheckbox(page, 'Nom de la distinction', false);
      if (format === 'xlsx') await check(page, 'export-registre');
      await pressButton(page, "Lancer l'export");
      await waitForText(page, 'Télécharger le fichier');
      if (format === 'xlsx') await check(page, 'export-termine');
      const downloaded = page.waitForEvent('download');
      await pressButton(page, /^Télécharger le fichier/, { navigates: false });
      const file = await downloaded;
      if (!new RegExp(`^registre-\\d{4}-\\d{2}-\\d{2}\\.${format}$`).test(file.suggestedFilename())) {
        throw new Error(`export téléchargé sous le nom « ${file.suggestedFilename()} »`);
      }
      // Kept beside the screenshots: the walk's test opens it with a spreadsheet reader.
      await writeFile(join(screenshotDir(), `registre.${format}`), await readFile(await file.path()));
    }
  }],
  ['le radar donne la date de la promotion au grade d’officier', async ({ page, base }) => {
    await visit(page, `${base}/promotion/radar`);
    const d = new Date();
    const officer = `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear() + 8}`;
    await typeField(page, label('Éligibles au plus tard le'), officer);
    await pressButton(page, 'Filtrer');
    const row = page.locator('tbody tr', { hasText: 'LAMBERT Jeanne Marie' });
    if ((await row.count()) !== 1) throw new Error('la nouvelle lauréate est absente du radar');
    const text = await row.innerText();
    if (!text.includes(officer) || !/officier/i.test(text)) {
      throw new Error(`le radar devrait la montrer éligible au grade d'officier le ${officer} : ${text}`);
    }
    await check(page, 'radar');
  }],
  ['« Proposer pour le grade supérieur » crée un brouillon prérempli', async ({ page }) => {
    await pressButton(page, /^Proposer pour le grade supérieur : LAMBERT Jeanne Marie/);
    await expectText(page, 'Le brouillon de proposition a été créé');
    await check(page, 'radar-proposition-creee');
    await logout(page);
  }],
  ['le rédacteur retrouve le brouillon prérempli pour officier', async ({ page, base }) => {
    await login(page, base, AGENTS.redacteur.email);
    await visit(page, `${base}/intake/dossiers`);
    const row = page.locator('tbody tr', { hasText: 'LAMBERT Jeanne Marie' }).filter({ hasText: 'Brouillon' });
    if ((await row.count()) !== 1) throw new Error('le brouillon de promotion est absent de « Mes dossiers »');
    await pressButton(page, 'LAMBERT Jeanne Marie');
    const prefilled = await page.inputValue('#birth_name');
    if (prefilled !== 'Lambert') throw new Error(`identité non préremplie : « ${prefilled} »`);
    await pressButton(page, /^6\. Vérification/);
    await expectText(page, 'officier');
    await check(page, 'brouillon-promotion');
  }],
  ['import de propositions : le fichier vérifié, une ligne refusée', async ({ page, base }) => {
    await visit(page, `${base}/intake/dossiers`);
    await pressButton(page, /^Importer des propositions depuis un fichier/);
    expectPath(page, '/intake/propositions/import');
    await chooseFiles(page, /Fichier des propositions/, [
      { name: 'propositions-rhone.csv', mimeType: 'text/csv', buffer: Buffer.from(PROPOSALS_FILE) },
    ]);
    await pressButton(page, 'Vérifier le fichier');
    await waitForText(page, '2 ligne(s) lue(s) : 1 valide(s), 1 refusée(s).');
    await expectText(page, 'date invalide : JJ/MM/AAAA attendu');
    await expectText(page, 'Sera créée en brouillon');
    await check(page, 'import-propositions-verification');
  }],
  ['import de propositions : la ligne valide importée, puis la ligne corrigée', async ({ page, base }) => {
    await pressButton(page, /^Importer ce fichier/);
    await waitForText(page, '1 brouillon(s) créé(s), 0 ligne(s) déjà importée(s)');
    await visit(page, `${base}/intake/propositions/import`);
    await chooseFiles(page, /Fichier des propositions/, [
      { name: 'propositions-rhone-corrige.csv', mimeType: 'text/csv', buffer: Buffer.from(PROPOSALS_FILE.replace('31/04/1966', '30/04/1966')) },
    ]);
    await pressButton(page, 'Importer les lignes valides');
    await waitForText(page, '1 brouillon(s) créé(s), 1 ligne(s) déjà importée(s)');
    await expectText(page, 'CARON Marc');
    await check(page, 'import-propositions-termine');
    await pressButton(page, 'CARON Marc');
    const imported = await page.inputValue('#birth_name');
    if (imported !== 'CARON') throw new Error(`brouillon importé : nom « ${imported} »`);
    await logout(page);
  }],
  // A background job followed on its page ---------------------------------------------------
  ['le délégué à la protection des données lance la purge du journal des lectures', async ({ page, base }) => {
    await login(page, base, AGENTS.dpo.email);
    await visit(page, `${base}/administration/lectures`);
    await check(page, 'journal-des-lectures');
    await pressButton(page, 'Appliquer la durée de conservation maintenant');
    await expectText(page, 'Suivi du traitement');
    await expectText(page, 'Cette page s\'actualise toutes les 5 secondes.');
    // Stopped before axe runs, so the check is not cut by a reload.
    await pressButton(page, 'Arrêter l\'actualisation automatique');
    await expectText(page, 'Actualiser la page');
    await check(page, 'tache-en-attente');
    await pressButton(page, 'Arrêter le traitement');
    await expectText(page, 'Le traitement a été arrêté à votre demande.');
    await check(page, 'tache-annulee');
    await logout(page);
  }],
  // Last but the control: its pages show the other steps' screenshots
  // (deploy/local/guide-screenshots.sh takes them from a walk that may stop here).
  ['le guide, par le lien « Aide » de l’en-tête : sa page, sa recherche, le glossaire', async ({ page, base }) => {
    await login(page, base, AGENTS.redacteur.email);
    await visit(page, `${base}/intake/dossiers`);
    await pressButton(page, 'Aide');
    const help = new URL(page.url());
    if (help.pathname !== '/aide/redacteur' || help.hash !== '#mes-dossiers') {
      throw new Error(`le lien « Aide » de « Mes dossiers » mène à ${page.url()}`);
    }
    await check(page, 'aide-redacteur');
    await typeField(page, 'Rechercher dans le guide', 'contingent');
    await pressButton(page, 'Rechercher');
    await expectText(page, 'contiennent « contingent »');
    await check(page, 'aide-recherche');
    await pressButton(page, 'Contingent');
    if (!page.url().endsWith('/aide/glossaire#contingent')) {
      throw new Error(`le résultat « Contingent » mène à ${page.url()}`);
    }
    await check(page, 'glossaire');
    // Every other page of the guide, from its side menu.
    const pages = await page.locator('.fr-sidemenu__link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    for (const href of pages) {
      const slug = href === '/aide' ? 'accueil' : href.replace('/aide/', '');
      if (['redacteur', 'glossaire'].includes(slug)) continue;
      await visit(page, `${base}${href}`);
      await check(page, `aide-${slug}`);
    }
    await logout(page);
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
