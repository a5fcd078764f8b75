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

/// ProConnect's authentication levels (`acr`) that compare, weakest first. Each is a level
/// (0 to 3) and whether a second factor was used: `eidas2` and `eidas3` always use one.
/// A login meets a requirement within this set when its level is at least the required one
/// and, if the requirement names a second factor, it used one — so `eidas1` (one factor)
/// does not meet `eidas0-mfa`, although its level is higher. Any other value (e.g.
/// `certification-dirigeant`) stands outside and satisfies only itself.
pub const ACR_ORDER: [&str; 6] = [
    "eidas0",
    "eidas0-mfa",
    "eidas1",
    "eidas1-mfa",
    "eidas2",
    "eidas3",
];

/// `(level, second factor)` of a value of [`ACR_ORDER`].
fn strength(value: &str) -> Option<(u8, bool)> {
    match value {
        "eidas0" => Some((0, false)),
        "eidas0-mfa" => Some((0, true)),
        "eidas1" => Some((1, false)),
        "eidas1-mfa" => Some((1, true)),
        "eidas2" => Some((2, true)),
        "eidas3" => Some((3, true)),
        _ => None,
    }
}

/// Whether a login that reached `reached` meets `required`: one of its values, each met by
/// the same value or, within [`ACR_ORDER`], by one at least as strong in level and factors.
/// An empty requirement is met by any login, one without `acr` included.
#[must_use]
pub fn acr_satisfies(reached: Option<&str>, required: &[String]) -> bool {
    if required.is_empty() {
        return true;
    }
    let Some(reached) = reached else {
        return false;
    };
    required
        .iter()
        .any(|r| match (strength(r), strength(reached)) {
            (Some((level, mfa)), Some((got_level, got_mfa))) => {
                got_level >= level && (got_mfa || !mfa)
            }
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
        assert!(
            !acr_satisfies(Some("eidas1"), &req(&["eidas0-mfa"])),
            "a higher level with one factor does not meet a second factor"
        );
        assert!(acr_satisfies(Some("eidas1-mfa"), &req(&["eidas0-mfa"])));
        assert!(acr_satisfies(Some("eidas2"), &req(&["eidas1-mfa"])));
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
