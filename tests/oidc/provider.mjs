// A real OpenID Connect provider for the sign-in tests: npm's oidc-provider on loopback.
//
// Usage: node tests/oidc/provider.mjs PORT REDIRECT_URI CLIENT_SECRET
//
// Its development login page accepts any password; the login name picks the
// account, and with it the roles claim (as Microsoft Entra ID puts app roles
// in the ID token):
//   duty     -> ["cspoc"]
//   manager  -> ["EarlyHelp.Manager"]   (mapped by FORMS_OIDC_ROLE_MAP)
//   norole   -> no roles claim
//   twoRoles -> ["cspoc", "manager"]
// Anything else has an unknown role, ["Finance.Reader"].
import Provider from 'oidc-provider';

const [port, redirectUri, clientSecret] = process.argv.slice(2);
const ROLES = {
  duty: ['cspoc'],
  manager: ['EarlyHelp.Manager'],
  norole: undefined,
  twoRoles: ['cspoc', 'manager'],
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'early-help-forms',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'roles'] },
  conformIdTokenClaims: false, // scope claims in the ID token too, as Entra ID does with roles
  cookies: { keys: ['a test key for signing cookies, not a secret'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        const roles = Object.hasOwn(ROLES, id) ? ROLES[id] : ['Finance.Reader'];
        return {
          sub: `subject-${id}`,
          email: `${id}@council.example.gov.uk`,
          email_verified: true,
          name: `Single Sign-on ${id}`,
          ...(roles ? { roles } : {}),
        };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening on ${port}`);
});
