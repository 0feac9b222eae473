// The end of signing out (/auth/logout, after the provider's own sign-out): a token the
// «Выйти» link did not revoke already (someone went to /auth/logout directly) is revoked
// now, and the tab forgets it, so its pages ask for sign-in again.
import { revokeToken, say } from "/ui/okno.js";

await revokeToken();
say("Вы вышли из okno. Токен этой вкладки отозван и удалён.", "ok");
