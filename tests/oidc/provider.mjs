// A real OpenID Provider for the single sign-on tests and for trying the button by hand:
// panva's certified `oidc-provider` (pinned in package.json), configured to issue ID tokens
// shaped like Microsoft Entra ID's (`tid`, `oid`, `email`, `preferred_username`) or Google's
// (`hd`, `email_verified`).
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG.json: {"profile": "entra" | "google", "host": "localhost", "port": 0,
//               "tenant": "<tenant id, Entra only>", "accounts": "ACCOUNTS.json",
//               "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["..."]}]}
// ACCOUNTS.json maps what is typed as the login on the provider's own sign-in page to the
// claims of that account, for example {"alice": {"email": "alice@oak.example.org", ...}}. It is
// read again at each sign-in, so a test can change someone's email "at the provider".
//
// When listening it prints one line of JSON, {"issuer": "..."}, and serves until killed.
//
// The provider is used as it ships: its own login page (devInteractions, any password), PKCE
// required, ID tokens signed with a key made at start-up. Two additions, both outside the
// protocol: consent is granted without a page (as a trust's admin consents once for everyone),
// and POST /__test/next-token {"mode": ...} lets a test play the attacker on the wire, changing
// the next token response before it reaches the app — "tamper" (alter the signed payload),
// "replay" (send the previous ID token again), "audience" and "issuer" (a correctly signed token
// for another client, or from another issuer). The app must refuse every one of them.

import { createServer } from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const readAccounts = () => JSON.parse(readFileSync(config.accounts, 'utf8'));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

let attack = null; // the change to make to the next token response, if a test asked for one
let previousIdToken = null;

const b64 = (value) => Buffer.from(value).toString('base64url');
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

function signedToken(claims) {
  const header = b64(JSON.stringify({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' }));
  const payload = b64(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

function attacked(idToken, mode) {
  const [header, , signature] = idToken.split('.');
  const claims = claimsOf(idToken);
  switch (mode) {
    case 'tamper': // someone else's address in a token that keeps the provider's signature
      return `${header}.${b64(JSON.stringify({ ...claims, email: 'head@oak.example.org', preferred_username: 'head@oak.example.org' }))}.${signature}`;
    case 'replay':
      return previousIdToken;
    case 'audience':
      return signedToken({ ...claims, aud: 'some-other-app' });
    case 'issuer':
      return signedToken({ ...claims, iss: 'http://issuer.invalid' });
    default:
      throw new Error(`unknown attack ${mode}`);
  }
}

const entra = config.profile === 'entra';
const server = createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, config.host ?? 'localhost', resolve));
const { port } = server.address();
// Entra's issuer names the tenant (https://login.microsoftonline.com/<tenant>/v2.0); Google's is the bare origin.
const mount = entra ? `/${config.tenant}/v2.0` : '';
const issuer = `http://${config.host ?? 'localhost'}:${port}${mount}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({ ...client, response_types: ['code'], grant_types: ['authorization_code'] })),
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub', 'tid', 'oid', 'hd'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  conformIdTokenClaims: false, // every claim in the ID token, as Entra and Google put them there
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['a-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const account = readAccounts()[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

// The provider's quick-start pages link a web font from Google; nothing here may reach the internet.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.body.includes('fonts.googleapis.com')) {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);/g, '');
  }
});

// The attacker on the wire: changes the token endpoint's answer after the provider made it.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const genuine = ctx.body.id_token;
  if (attack) {
    ctx.body = { ...ctx.body, id_token: attacked(genuine, attack) };
    attack = null;
  }
  previousIdToken = genuine;
});

const handle = provider.callback();
server.on('request', (req, res) => {
  if (req.method === 'POST' && req.url === '/__test/next-token') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      attack = JSON.parse(body).mode;
      res.writeHead(204).end();
    });
    return;
  }
  if (req.url === '/favicon.ico') { // asked for by the browser on the provider's pages
    res.writeHead(204).end();
    return;
  }
  if (!req.url.startsWith(`${mount}/`)) {
    res.writeHead(404).end();
    return;
  }
  // Mounted under the issuer's path, as express's app.use(path, ...) would: the provider reads
  // originalUrl to write its own addresses.
  req.originalUrl = req.url;
  req.url = req.url.slice(mount.length) || '/';
  handle(req, res);
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
