//! Diesel table definitions, written by hand to match `migrations/` (a schema test checks the
//! live database against the invariants; `diesel print-schema` is not needed at run time).

diesel::table! {
    core.tenants (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        is_sandbox -> Bool,
        created_at -> Timestamptz,
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
    }
}

diesel::allow_tables_to_appear_in_same_query!(tenants, org_units);
