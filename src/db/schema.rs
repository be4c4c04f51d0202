//! Table definitions, written by hand so they use only types both backends share:
//! ids as text, times as `Timestamp` holding UTC, enums as text.

diesel::table! {
    accounts (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        kind -> Nullable<Text>,
        display_name -> Text,
        legal_name -> Nullable<Text>,
        name_kana -> Nullable<Text>,
        industry -> Nullable<Text>,
        prefecture -> Nullable<Text>,
        employee_band -> Nullable<Text>,
        website -> Nullable<Text>,
        corporate_number -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        token_version -> BigInt,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified_at -> Nullable<Timestamp>,
        pending_email -> Nullable<Text>,
        notify_digest -> Bool,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        account_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        slug -> Text,
        title -> Text,
        starts_on -> Date,
        ends_on -> Date,
        registration_opens_at -> Timestamp,
        registration_closes_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        account_id -> Text,
        campaign_id -> Text,
        category_mask -> Integer,
        title -> Text,
        description -> Text,
        organizer_name -> Text,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        format -> Nullable<Text>,
        prefecture -> Nullable<Text>,
        url -> Nullable<Text>,
        owner_kind -> Text,
        owner_industry -> Nullable<Text>,
        search_text -> Text,
        status -> Text,
        version -> BigInt,
        pending_revision -> Nullable<Text>,
        queued_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        approved_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        rejection_reason_code -> Nullable<Text>,
        rejection_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_count -> Integer,
        title_key -> Nullable<Text>,
        organizer_key -> Nullable<Text>,
    }
}

diesel::table! {
    corporate_numbers (corporate_number, account_id) {
        corporate_number -> Text,
        account_id -> Text,
        first_seen_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        activity_id -> Nullable<Text>,
        subject_account_id -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        reason_code -> Nullable<Text>,
        reason -> Nullable<Text>,
        waited_seconds -> Nullable<BigInt>,
        created_at -> Timestamp,
        campaign_id -> Nullable<Text>,
    }
}

diesel::table! {
    public_state (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    mail_tokens (id) {
        id -> Text,
        account_id -> Text,
        purpose -> Text,
        email -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        message_id -> Text,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Nullable<Text>,
        secret -> Bool,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        channel -> Text,
        webhook_id -> Nullable<Text>,
        account_id -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (account_id, idempotency_key) {
        account_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        state -> Text,
        response -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    claims (activity_id) {
        activity_id -> Text,
        moderator_id -> Text,
        expires_at -> Timestamp,
        claimed_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        event_types -> Text,
        description -> Text,
        enabled -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        webhook_id -> Text,
        outbox_id -> Text,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    digest_state (id) {
        id -> Integer,
        last_run_at -> Timestamp,
    }
}

diesel::table! {
    event_sessions (id) {
        id -> Text,
        activity_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        format -> Text,
        venue -> Nullable<Text>,
        capacity -> Nullable<Integer>,
        applications_open_at -> Nullable<Timestamp>,
        applications_close_at -> Nullable<Timestamp>,
        fee -> Text,
        waitlist -> Bool,
        online_url -> Nullable<Text>,
        questions -> Text,
        confirmed_count -> Integer,
        waitlisted_count -> Integer,
        cancelled_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    applications (id) {
        id -> Text,
        session_id -> Text,
        name -> Text,
        email -> Text,
        organization -> Nullable<Text>,
        answers -> Text,
        status -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        promoted_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    application_tokens (token_hash) {
        token_hash -> Text,
        application_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(event_sessions -> activities (activity_id));
diesel::joinable!(applications -> event_sessions (session_id));
diesel::joinable!(application_tokens -> applications (application_id));
diesel::joinable!(activities -> accounts (account_id));
diesel::joinable!(activities -> campaigns (campaign_id));
diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::joinable!(webhook_attempts -> outbox (outbox_id));
diesel::joinable!(claims -> accounts (moderator_id));

diesel::table! {
    badges (id) {
        id -> Text,
        activity_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(badges -> activities (activity_id));

diesel::allow_tables_to_appear_in_same_query!(
    badges,
    accounts,
    refresh_tokens,
    campaigns,
    activities,
    audit_events,
    public_state,
    mail_tokens,
    outbox,
    digest_state,
    webhooks,
    webhook_attempts,
    claims,
    idempotency_keys,
    event_sessions,
    applications,
    application_tokens,
);
