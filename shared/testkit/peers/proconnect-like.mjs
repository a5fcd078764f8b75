// A real, OpenID-certified provider (npm oidc-provider) configured like ProConnect, for the
// gateway's tests: PKCE S256 required, client_secret_post, ID token and UserInfo signed
// (RS256), ProConnect's claims (usual_name, uid, siret, idp_id…), acr values, RP-initiated
// logout; `email_verified` released when an account has it (ProConnect sends none). Usage: node proconnect-like.mjs <config.json>; prints "listening <port>".
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts; // { sub: { email, given_name, usual_name, uid, siret, idp_id, … } }

const provider = new Provider(config.issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    post_logout_redirect_uris: [config.post_logout_redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
    userinfo_signed_response_alg: 'RS256',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id', 'organizational_unit', 'belonging_population'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    uid: ['uid'],
    siret: ['siret'],
    idp_id: ['idp_id'],
    organizational_unit: ['organizational_unit'],
    belonging_population: ['belonging_population'],
    acr: ['acr'],
  },
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  findAccount: async (ctx, id) => accounts[id] && {
    accountId: id,
    claims: async () => ({ sub: id, ...accounts[id] }),
  },
  features: {
    devInteractions: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    claimsParameter: { enabled: true },
  },
  cookies: { keys: ['napoleon-test-cookie-key-0123456789abcdef'] },
});
provider.proxy = false;

const port = Number(new URL(config.issuer).port);
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
