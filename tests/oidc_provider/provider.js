// A real OpenID Connect provider for okno's sign-in tests: panva's oidc-provider (OpenID
// Certified), on loopback, with its development login form (any password) and a few staff
// accounts whose claims carry roles and an office as Keycloak's would.
//
// Environment: OKNO_REDIRECT_URI (okno's /auth/callback), OKNO_POST_LOGOUT_URI (okno's
// signed-out page), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET. It listens on a free port and
// prints one line, `issuer <url>`, once it answers; tests/oidc.py reads that line.
import { createServer } from "node:http";

import Provider from "oidc-provider";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

// Login name → claims. Roles as Keycloak puts realm roles (`realm_access.roles`) or as a
// flat `roles` claim (a client-roles mapper, a regional gateway); office as a user attribute.
const ACCOUNTS = {
  operator: { name: "Ольга Операторова", realm_access: { roles: ["operator", "offline_access"] }, office: "LPK" },
  boss: { name: "Сергей Начальников", roles: ["mfc-supervisor"], office: "ELC" },
  analyst: { name: "Анна Аналитикова", roles: ["analyst"] },
  visitor: { name: "Без Ролей", realm_access: { roles: ["offline_access"] } },
  homeless: { name: "Оператор Без Офиса", realm_access: { roles: ["operator"] } },
};

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: env("OIDC_CLIENT_ID"),
        client_secret: env("OIDC_CLIENT_SECRET"),
        redirect_uris: [env("OKNO_REDIRECT_URI")],
        post_logout_redirect_uris: [env("OKNO_POST_LOGOUT_URI")],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      okno: ["realm_access", "roles", "office"],
    },
    scopes: ["openid", "profile", "okno"],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    // The claims go in the ID token itself (Keycloak's "Add to ID token"), not only userinfo.
    conformIdTokenClaims: false,
    async findAccount(ctx, id) {
      const claims = ACCOUNTS[id];
      if (!claims) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, preferred_username: id, ...claims }) };
    },
    // A first-party client: no consent screen, as an in-house Keycloak client is set up.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope("openid profile okno");
      await grant.save();
      return grant;
    },
    cookies: { keys: ["okno-test-provider-cookie-key"] },
  });
  provider.on("server_error", (ctx, error) => console.error("server_error", error));
  server.on("request", provider.callback());
  console.log(`issuer ${issuer}`);
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
