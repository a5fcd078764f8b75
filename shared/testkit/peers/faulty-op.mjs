// A deliberately faulty OpenID provider: each client_id names one fault, so the gateway's
// tests can prove it refuses what an honest provider never sends. Faults: none (honest),
// nonce, iss, aud, expired, alg-none, userinfo-signature, userinfo-sub, userinfo-iss,
// userinfo-plain (unsigned UserInfo although discovery announces it signed), hs256 (ID token
// signed with HS256 keyed by the client secret, HS256 being announced), and one more honest
// client, rotated-key (ID token signed by a key the JWKS lists only from then on).
// Usage: node faulty-op.mjs; prints "listening <port>". Everything runs on 127.0.0.1.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, generateKeyPair, exportJWK, base64url } from 'jose';

const { publicKey, privateKey } = await generateKeyPair('RS256');
const other = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
const next = await generateKeyPair('RS256');
const jwk2 = { ...(await exportJWK(next.publicKey)), kid: 'k2', use: 'sig', alg: 'RS256' };
let rotated = false;
const codes = new Map(); // code -> { client, nonce }
const tokens = new Map(); // access token -> client
let issuer;

const sign = (claims, key = privateKey) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(key);

function unsigned(claims) {
  const enc = (o) => base64url.encode(JSON.stringify(o));
  return `${enc({ alg: 'none' })}.${enc(claims)}.`;
}

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

function send(res, status, type, payload, headers = {}) {
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/.well-known/openid-configuration') {
    return send(res, 200, 'application/json', {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/jwks`,
      end_session_endpoint: `${issuer}/session/end`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256', 'HS256'],
      userinfo_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'email', 'given_name', 'usual_name'],
    });
  }
  if (url.pathname === '/jwks') {
    return send(res, 200, 'application/json', { keys: rotated ? [jwk, jwk2] : [jwk] });
  }
  if (url.pathname === '/authorize') {
    const code = randomBytes(24).toString('hex');
    codes.set(code, { client: url.searchParams.get('client_id'), nonce: url.searchParams.get('nonce') });
    const target = new URL(url.searchParams.get('redirect_uri'));
    target.searchParams.set('code', code);
    target.searchParams.set('state', url.searchParams.get('state'));
    res.writeHead(303, { location: target.toString() });
    return res.end();
  }
  if (url.pathname === '/token' && req.method === 'POST') {
    const form = await body(req);
    const grant = codes.get(form.get('code'));
    codes.delete(form.get('code'));
    if (!grant) return send(res, 400, 'application/json', { error: 'invalid_grant' });
    const fault = grant.client;
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer, sub: 'agent-1', aud: fault, exp: now + 300, iat: now, nonce: grant.nonce, acr: 'eidas1' };
    if (fault === 'nonce') claims.nonce = 'not-the-nonce-that-was-sent';
    if (fault === 'iss') claims.iss = 'https://fournisseur-pirate.invalid';
    if (fault === 'aud') claims.aud = 'another-client';
    if (fault === 'expired') Object.assign(claims, { exp: now - 600, iat: now - 900 });
    let idToken;
    if (fault === 'alg-none') idToken = unsigned(claims);
    else if (fault === 'hs256') {
      idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(form.get('client_secret')));
    } else if (fault === 'rotated-key') {
      rotated = true;
      idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k2' })
        .sign(next.privateKey);
    } else idToken = await sign(claims);
    const access = randomBytes(24).toString('hex');
    tokens.set(access, fault);
    return send(res, 200, 'application/json', { access_token: access, token_type: 'Bearer', expires_in: 60, id_token: idToken });
  }
  if (url.pathname === '/userinfo') {
    const fault = tokens.get((req.headers.authorization || '').replace(/^Bearer /, ''));
    if (!fault) return send(res, 401, 'application/json', { error: 'invalid_token' });
    const claims = {
      iss: issuer, aud: fault, sub: 'agent-1', email: 'agent@exemple.gouv.fr', given_name: 'Alex', usual_name: 'Dupont',
    };
    if (fault === 'userinfo-sub') claims.sub = 'agent-2';
    if (fault === 'userinfo-iss') claims.iss = 'https://fournisseur-pirate.invalid';
    if (fault === 'userinfo-plain') return send(res, 200, 'application/json', claims);
    const jwt = fault === 'userinfo-signature' ? await sign(claims, other.privateKey) : await sign(claims);
    return send(res, 200, 'application/jwt', jwt);
  }
  return send(res, 404, 'application/json', { error: 'not_found' });
});

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening ${server.address().port}`);
});
