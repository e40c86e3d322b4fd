// A real OpenID provider for tests (panva/oidc-provider, OpenID certified), listening on loopback.
// Interactions complete at once for the account named by `login_hint`: "alice@example.com" signs in
// with a verified address, "unverified:bob@example.com" with the same address marked unverified,
// "shortlived:hank@example.com" gets ID tokens that expire after one second.
// Env: PORT, REDIRECT_URIS (comma-separated, for client "gau-test"), CLIENT_SECRET.
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const secret = process.env.CLIENT_SECRET || 'gau-test-secret';
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'gau-test',
      client_secret: secret,
      redirect_uris: (process.env.REDIRECT_URIS || '').split(',').filter(Boolean),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'other-app',
      client_secret: 'other-app-secret',
      redirect_uris: ['http://127.0.0.1/other-app/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [jwk] },
  ttl: {
    IdToken: (ctx, token) => (String(token.available?.sub || '').startsWith('shortlived:') ? 1 : 3600),
  },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // like Google: email claims in the ID token itself
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const unverified = id.startsWith('unverified:');
    const email = id.replace(/^(unverified|shortlived):/, '');
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: !unverified, name: email.split('@')[0] };
      },
    };
  },
});

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = String(details.params.login_hint || 'alice@example.com');
  const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId }, consent: { grantId } });
  ctx.status = 303;
  ctx.redirect(to);
});

provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider ready at ${issuer}`));
