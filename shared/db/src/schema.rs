//! Diesel table definitions, written by hand to match `migrations/` (a schema test checks the
//! live database against the invariants; `diesel print-schema` is not needed at run time).

diesel::table! {
    core.tenants (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        is_sandbox -> Bool,
        created_at -> Timestamptz,
        required_acr -> Array<Text>,
        trusted_issuers -> Array<Text>,
        trusted_idp_ids -> Array<Text>,
        access_stamp -> Int8,
    }
}

diesel::table! {
    core.agents (id) {
        id -> Uuid,
        issuer -> Text,
        subject -> Text,
        email -> Text,
        given_name -> Text,
        usual_name -> Text,
        idp_id -> Nullable<Text>,
        created_at -> Timestamptz,
        last_login_at -> Timestamptz,
        email_verified -> Nullable<Bool>,
    }
}

diesel::table! {
    core.tenant_agents (tenant_id, agent_id) {
        tenant_id -> Uuid,
        agent_id -> Uuid,
        since -> Timestamptz,
    }
}

diesel::table! {
    core.admission_exclusions (tenant_id, agent_id) {
        tenant_id -> Uuid,
        agent_id -> Uuid,
        excluded_at -> Timestamptz,
        excluded_by -> Text,
    }
}

diesel::table! {
    core.operators (email) {
        email -> Text,
        issuer -> Text,
        agent_id -> Nullable<Uuid>,
        added_at -> Timestamptz,
        pinned_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    core.memberships (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        email -> Text,
        agent_id -> Nullable<Uuid>,
        unit_id -> Uuid,
        role -> Nullable<Text>,
        granted_by -> Text,
        granted_at -> Timestamptz,
    }
}

diesel::table! {
    core.admission_rules (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        value -> Text,
    }
}

diesel::table! {
    core.sessions (id) {
        id -> Text,
        agent_id -> Nullable<Uuid>,
        data -> Jsonb,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    authz.policy_rules (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        ptype -> Text,
        v0 -> Text,
        v1 -> Text,
        v2 -> Text,
        v3 -> Text,
        v4 -> Text,
        v5 -> Text,
    }
}

diesel::table! {
    authz.policy_versions (tenant_id) {
        tenant_id -> Uuid,
        version -> Int8,
    }
}

diesel::table! {
    core.org_units (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        parent_id -> Nullable<Uuid>,
        kind -> Text,
        code -> Text,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    journal.events (tenant_id, seq) {
        tenant_id -> Uuid,
        seq -> Int8,
        actor -> Text,
        subject -> Text,
        kind -> Text,
        payload -> Jsonb,
        occurred_at -> Timestamptz,
        prev_hash -> Bytea,
        hash -> Bytea,
        /// The agent the actor names, if one (generated from `actor`, migration 000027).
        actor_agent_id -> Nullable<Uuid>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(tenants, org_units, agents, memberships);
// A session is read with its tenant's access stamp.
diesel::allow_tables_to_appear_in_same_query!(sessions, tenants);
// The journal's timeline names agent actors.
diesel::allow_tables_to_appear_in_same_query!(events, agents);
diesel::joinable!(memberships -> agents (agent_id));

diesel::table! {
    catalogue.distinctions (tenant_id, file) {
        tenant_id -> Uuid,
        file -> Text,
        source -> Text,
        origin -> Text,
        updated_at -> Timestamptz,
    }
}
