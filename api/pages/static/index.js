// The pages' index: its «Выход» revokes this tab's token before the provider's sign-out, as
// the staff pages' «Выйти» does (okno.js signOutLink).
import { signOutLink } from "/ui/okno.js";

document.querySelector('#staff-pages a[href="/auth/logout"]').replaceWith(signOutLink());
