// What next-auth puts in the sign-in URL when authorize throws: this fixed word, never the
// message of whatever failed underneath (a database driver's message names hosts and users).
export const SIGNIN_UNAVAILABLE = "SigninUnavailable";
