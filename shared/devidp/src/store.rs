//! In-memory, bounded, expiring state: pending authorizations, codes, tokens, sessions.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a login page stays usable.
pub(crate) const PENDING_TTL: Duration = Duration::from_secs(600);
/// Authorization code lifetime (ProConnect: 60 s).
pub(crate) const CODE_TTL: Duration = Duration::from_secs(60);
/// Access token lifetime (ProConnect: 1 h).
pub(crate) const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Provider session lifetime (ProConnect: 12 h).
pub(crate) const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

pub(crate) const MAX_PENDING: usize = 1_000;
pub(crate) const MAX_CODES: usize = 1_000;
pub(crate) const MAX_TOKENS: usize = 10_000;
pub(crate) const MAX_SESSIONS: usize = 10_000;

/// The map is full of live entries.
#[derive(Debug, thiserror::Error)]
#[error("too many entries")]
pub(crate) struct Full;

/// A map whose entries expire after a fixed time and whose size is capped.
#[derive(Debug)]
pub(crate) struct Bounded<T> {
    entries: HashMap<String, (Instant, T)>,
    ttl: Duration,
    max: usize,
}

impl<T> Bounded<T> {
    pub(crate) fn new(ttl: Duration, max: usize) -> Self {
        Self {
            entries: HashMap::new(),
            ttl,
            max,
        }
    }

    /// Inserts after dropping expired entries; refuses when `max` live entries remain.
    pub(crate) fn insert(&mut self, key: String, value: T, now: Instant) -> Result<(), Full> {
        self.purge(now);
        if self.entries.len() >= self.max {
            return Err(Full);
        }
        self.entries.insert(key, (now + self.ttl, value));
        Ok(())
    }

    pub(crate) fn get(&self, key: &str, now: Instant) -> Option<&T> {
        self.entries
            .get(key)
            .filter(|(expires, _)| *expires > now)
            .map(|(_, value)| value)
    }

    /// Removes the entry and returns it if it had not expired.
    pub(crate) fn take(&mut self, key: &str, now: Instant) -> Option<T> {
        self.entries
            .remove(key)
            .filter(|(expires, _)| *expires > now)
            .map(|(_, value)| value)
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.entries.retain(|_, (_, value)| keep(value));
    }

    fn purge(&mut self, now: Instant) {
        self.entries.retain(|_, (expires, _)| *expires > now);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// An authorization request shown on the login page, waiting for the agent's choice.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub scopes: Vec<String>,
    /// Requested acr values (from `acr_values` and `claims`), filtered to the supported ones.
    pub acr_requested: Vec<String>,
    /// Identity claims requested in the ID token through `claims.id_token`.
    pub id_token_claims: Vec<String>,
    /// Identity claims requested at UserInfo through `claims.userinfo`.
    pub userinfo_claims: Vec<String>,
}

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub nonce: String,
    pub code_challenge: String,
    pub sub: String,
    pub acr: String,
    pub scopes: Vec<String>,
    pub id_token_claims: Vec<String>,
    pub userinfo_claims: Vec<String>,
    pub auth_time: u64,
    pub sid: String,
}

/// What an access token stands for.
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub client_id: String,
    pub sub: String,
    pub scopes: Vec<String>,
    pub userinfo_claims: Vec<String>,
    pub sid: String,
}

/// A provider session, ended at the end-session endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub sub: String,
}

/// All the mutable state of the provider.
#[derive(Debug)]
pub(crate) struct Store {
    pub pending: Bounded<Pending>,
    pub codes: Bounded<CodeGrant>,
    /// Codes already redeemed, with the access token they produced (revoked on replay).
    pub used_codes: Bounded<String>,
    pub tokens: Bounded<AccessGrant>,
    pub sessions: Bounded<Session>,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            pending: Bounded::new(PENDING_TTL, MAX_PENDING),
            codes: Bounded::new(CODE_TTL, MAX_CODES),
            used_codes: Bounded::new(CODE_TTL, MAX_CODES),
            tokens: Bounded::new(ACCESS_TOKEN_TTL, MAX_TOKENS),
            sessions: Bounded::new(SESSION_TTL, MAX_SESSIONS),
        }
    }
}

impl Store {
    /// Ends the session `sid` of agent `sub`: forgets it and revokes its codes and access
    /// tokens. Returns whether such a live session existed.
    pub(crate) fn end_session(&mut self, sid: &str, sub: &str) -> bool {
        let now = Instant::now();
        if self.sessions.get(sid, now).is_none_or(|s| s.sub != sub) {
            return false;
        }
        let _ended = self.sessions.take(sid, now);
        self.codes.retain(|grant| grant.sid != sid);
        self.tokens.retain(|grant| grant.sid != sid);
        true
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn entries_expire() {
        let start = Instant::now();
        let mut map = Bounded::new(Duration::from_secs(60), 10);
        map.insert("code".to_owned(), 1, start).expect("room");
        assert_eq!(map.get("code", start + Duration::from_secs(59)), Some(&1));
        assert_eq!(map.get("code", start + Duration::from_secs(60)), None);
        assert_eq!(map.take("code", start + Duration::from_secs(61)), None);
        assert_eq!(map.len(), 0);
    }

    #[test]
    fn take_is_single_use() {
        let now = Instant::now();
        let mut map = Bounded::new(Duration::from_secs(60), 10);
        map.insert("code".to_owned(), 1, now).expect("room");
        assert_eq!(map.take("code", now), Some(1));
        assert_eq!(map.take("code", now), None);
    }

    #[test]
    fn size_is_bounded_but_expired_entries_make_room() {
        let start = Instant::now();
        let mut map = Bounded::new(Duration::from_secs(10), 2);
        map.insert("a".to_owned(), 1, start).expect("room");
        map.insert("b".to_owned(), 2, start).expect("room");
        assert!(map.insert("c".to_owned(), 3, start).is_err());
        map.insert("c".to_owned(), 3, start + Duration::from_secs(11))
            .expect("expired entries were purged");
        assert_eq!(map.len(), 1);
    }
}
