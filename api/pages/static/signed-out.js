// The end of signing out (/auth/logout, after the provider's own sign-out): this tab forgets
// the okno token, so its pages ask for sign-in again.
import { say, setToken } from "/ui/okno.js";

setToken(null);
say("Вы вышли из okno. Токен этой вкладки удалён.", "ok");
