//! What ProConnect releases, as its documentation names it: the gateway asks for these scopes
//! and the development provider grants them, so both read the one list.

/// Identity claims, each released under the scope of the same name.
pub const IDENTITY_CLAIMS: [&str; 8] = [
    "email",
    "given_name",
    "usual_name",
    "uid",
    "siret",
    "idp_id",
    "organizational_unit",
    "belonging_population",
];

/// Every scope: `openid`, then one per identity claim.
pub const SCOPES: [&str; 9] = {
    let mut scopes = ["openid"; 9];
    let mut i = 0;
    while i < IDENTITY_CLAIMS.len() {
        scopes[i + 1] = IDENTITY_CLAIMS[i];
        i += 1;
    }
    scopes
};
