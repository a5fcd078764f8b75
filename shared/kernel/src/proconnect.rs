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

/// ProConnect's authentication levels (`acr`) that compare, weakest first: a login that
/// reached one satisfies a requirement of any level before it. Any other value (e.g.
/// `certification-dirigeant`) stands outside the order and satisfies only itself.
pub const ACR_ORDER: [&str; 6] = [
    "eidas0",
    "eidas0-mfa",
    "eidas1",
    "eidas1-mfa",
    "eidas2",
    "eidas3",
];

/// Whether a login that reached `reached` meets `required`: one of its values, each met by
/// the same value or, within [`ACR_ORDER`], by a stronger one. An empty requirement is met by
/// any login, one without `acr` included.
#[must_use]
pub fn acr_satisfies(reached: Option<&str>, required: &[String]) -> bool {
    if required.is_empty() {
        return true;
    }
    let Some(reached) = reached else {
        return false;
    };
    let rank = |value: &str| ACR_ORDER.iter().position(|v| *v == value);
    required.iter().any(|r| match (rank(r), rank(reached)) {
        (Some(needed), Some(got)) => got >= needed,
        _ => r == reached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn levels_compare_within_the_order_and_others_only_match_themselves() {
        assert!(acr_satisfies(None, &[]));
        assert!(!acr_satisfies(None, &req(&["eidas1"])));
        assert!(acr_satisfies(Some("eidas2"), &req(&["eidas1"])));
        assert!(acr_satisfies(Some("eidas1-mfa"), &req(&["eidas1"])));
        assert!(!acr_satisfies(Some("eidas1"), &req(&["eidas1-mfa"])));
        assert!(acr_satisfies(Some("eidas3"), &req(&["eidas2"])));
        assert!(!acr_satisfies(Some("eidas2"), &req(&["eidas3"])));
        assert!(!acr_satisfies(
            Some("certification-dirigeant"),
            &req(&["eidas1"])
        ));
        assert!(!acr_satisfies(
            Some("eidas3"),
            &req(&["certification-dirigeant"])
        ));
        assert!(acr_satisfies(
            Some("certification-dirigeant"),
            &req(&["eidas2", "certification-dirigeant"])
        ));
        assert!(
            !acr_satisfies(Some("EIDAS3"), &req(&["eidas1"])),
            "exact spelling"
        );
    }
}
